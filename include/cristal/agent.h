/*
 * agent.h — analyses over the corpus: what the agent layer adds on top of
 * search and answers. So far: meetings (their date, decisions and action
 * items with owner, task and due date), with rules alone (no model).
 *
 *   corpus documents ──► meeting material? (transcripts, minutes, meeting
 *                        mails: type, name, title, the text's first lines)
 *                    ──► the meeting's date (a dated label in the text,
 *                        a date in the file name, a dated title or first
 *                        lines, the document's own date)
 *                    ──► sentences with their speaker and location
 *                    ──► decisions ("we decided", 決定 ...) and action
 *                        items (a named owner, or the speaker who
 *                        volunteers), each due date normalised against
 *                        the meeting's date (cr_due_find)
 *
 * Layering: agent uses answer and corpus, never the reverse. Everything a
 * result holds lives in the caller's arena. The functions here may run on
 * any number of threads at once on one corpus (connections and analyzers
 * come from the corpus's pools).
 */
#ifndef CRISTAL_AGENT_H
#define CRISTAL_AGENT_H

#include "cristal/answer.h"
#include "cristal/base.h"
#include "cristal/corpus.h"
#include "cristal/provider.h"

/* ---- due dates (src/agent/due.c) -------------------------------------- */

/* A calendar date; y == 0 means unknown. */
typedef struct cr_ymd {
	int y, m, d;
} cr_ymd;

/* Kinds of due-date expressions (for measuring each kind on its own). */
typedef enum cr_due_kind {
	CR_DUE_NONE = 0,
	CR_DUE_DATE,    /* a calendar date: "December 13", 12月5日, 2026-06-01, 6/15, "the 15th", 来月10日 */
	CR_DUE_WEEKDAY, /* a day of a week: "by Friday", "next Monday", "Friday next week", 来週金曜 */
	CR_DUE_WEEK,    /* a whole week, due its Friday: "this week", "end of next week", 今週中, 再来週 */
	CR_DUE_DAY,     /* today or a day after: "EOD", "EOD tomorrow", 明日中, 本日中 */
	CR_DUE_MONTH,   /* a month's end: "end of month", "end of June", 月末, 来月末, 今月中 */
	CR_DUE_PERIOD,  /* a quarter's or year's end: "by Q3", "end of year", 年内, 年度末 */
	CR_DUE_SPAN,    /* after a span: "in two weeks", "within 3 days", 3日以内, 2週間後 */
	CR_DUE_VAGUE,   /* said, but no date: "ASAP", "mid-June", "next meeting", 至急, 次回まで, 6月中旬 */
	CR_DUE_N_KINDS
} cr_due_kind;

/* "date", "weekday", ... "vague" ("none" for CR_DUE_NONE). */
CR_API const char *cr_due_kind_name(cr_due_kind k);

typedef struct cr_due {
	cr_due_kind kind;  /* CR_DUE_NONE: no expression found */
	cr_ymd date;       /* the due date; y == 0 when it cannot be resolved */
	size_t off, len;   /* the expression in the text given, with its "by" / までに */
} cr_due;

/*
 * Finds the due-date expression of a sentence (English or Japanese, ASCII
 * or full-width digits) and resolves it against the meeting's date `ref`
 * (y == 0: unknown; then only dates that carry their year resolve). When a
 * sentence has several, the one marked as a deadline ("by", "until",
 * "before", "due", まで, までに, 中に) wins, else the first. Returns 1 when an
 * expression was found (out->kind != CR_DUE_NONE), else 0.
 *
 * Conventions: weeks run Monday to Sunday and a week is due on its Friday;
 * "next <weekday>" is that day of next week, a bare weekday the first one
 * after the meeting day; a month and day without a year is the meeting's
 * year unless that lies more than 90 days before the meeting (then the
 * next year's); "the 15th" is this month's, or next month's once passed;
 * quarters are calendar quarters; 年度末 is 31 March (Japanese fiscal year).
 * A date followed by の (12月5日の会議) modifies a noun and is no deadline.
 */
CR_API int cr_due_find(const char *text, size_t len, cr_ymd ref, cr_due *out);

/* Writes "YYYY-MM-DD" (11 bytes with the NUL). */
CR_API void cr_ymd_iso(cr_ymd d, char out[11]);
/* Days since 1970-01-01 (proleptic Gregorian), and back. */
CR_API int64_t cr_ymd_days(cr_ymd d);
CR_API cr_ymd cr_ymd_from_days(int64_t days);

/* ---- time zones (src/agent/tz.c) ---------------------------------------- */

/*
 * A time zone read from its TZif file (RFC 8536) under /usr/share/zoneinfo:
 * the transitions of its version 2+ data block (64-bit times) and, past the
 * last one, the POSIX TZ rule of its footer ("EST5EDT,M3.2.0,M11.1.0"), so
 * "slim" files and dates after the table's end are right. "UTC" needs no
 * file. Read-only once made: any number of threads may use one. Never
 * touches TZ or the C library's zone state (the server is multi-threaded).
 */
typedef struct cr_tz cr_tz;
/* name: an IANA name ("Asia/Tokyo", "America/New_York") or "UTC";
 * CR_ENOTFOUND when the system has no such zone, CR_ECORRUPT when its file
 * is not TZif. */
CR_API cr_err cr_tz_load(const char *name, cr_tz **out, cr_msg *m) CR_NODISCARD;
/* The same from a TZif file's bytes (tests, fuzzing). */
CR_API cr_err cr_tz_parse(const uint8_t *p, size_t n, const char *name, cr_tz **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_tz_free(cr_tz *z);
CR_API const char *cr_tz_name(const cr_tz *z);
/* The zone's offset from UTC in seconds at unix time t (east positive). */
CR_API int32_t cr_tz_offset(const cr_tz *z, int64_t t);

/* A local (wall-clock) time. */
typedef struct cr_civil {
	int y, mo, d, h, mi, s;
	int wday; /* 0 = Sunday (filled by cr_tz_local) */
} cr_civil;
/* Unix time t as the zone's wall-clock time. */
CR_API void cr_tz_local(const cr_tz *z, int64_t t, cr_civil *out);

/* ---- schedules (src/agent/cron.c) --------------------------------------- */

/*
 * Five-field cron expressions: minute (0-59) hour (0-23) day-of-month
 * (1-31) month (1-12 or JAN-DEC) day-of-week (0-7 or SUN-SAT, 0 and 7
 * both Sunday). A field is a comma list of "*", "N", "N-M", each with an
 * optional "/STEP" ("*\/15", "1-30/2", "5/10" = 5-max/10). Vixie cron's
 * rule for days: when both day fields are restricted (neither starts with
 * "*"), a day matches if EITHER does; otherwise both must. Aliases:
 * @hourly @daily @midnight @weekly @monthly @yearly @annually.
 *
 * Times are wall-clock times of a zone (cr_tz). Across daylight-saving
 * changes: a local time that does not exist that day (skipped by a spring
 * change) does not fire; a local time that happens twice (an autumn change)
 * fires at its first occurrence only.
 */
typedef struct cr_cron {
	uint64_t minute;  /* bit i: minute i */
	uint32_t hour, dom; /* dom: bit d for day d (1-31) */
	uint16_t month;   /* bit m for month m (1-12) */
	uint8_t dow;      /* bit d for weekday d (0 = Sunday) */
	uint8_t dom_star, dow_star; /* the field began with "*" */
} cr_cron;
/* CR_EINVAL with the field and the reason in m ("cron: hour: 24 is out of
 * range 0-23"). An expression that can never fire (30 February) is
 * refused too. */
CR_API cr_err cr_cron_parse(const char *expr, cr_cron *out, cr_msg *m) CR_NODISCARD;
/* The first fire time strictly after unix time `after` (seconds; fire
 * times fall on whole minutes) in zone z: CR_ENOTFOUND when there is none
 * within 8 years. Cost: at most a few thousand steps (months, days,
 * hours, minutes skipped field by field). */
CR_API cr_err cr_cron_next(const cr_cron *c, const cr_tz *z, int64_t after, int64_t *next) CR_NODISCARD;

/* ---- meetings (src/agent/meetings.c) ---------------------------------- */

typedef struct cr_decision {
	const char *text;
	cr_loc loc; /* the chunk's location (as citations give it), speaker set to who said it */
} cr_decision;

typedef struct cr_action {
	const char *owner;    /* as the text writes the name (honorifics such as さん dropped) */
	const char *task;
	cr_ymd due;           /* y == 0: null */
	const char *due_text; /* the expression as written, NULL when none */
	cr_due_kind due_kind;
	cr_loc loc;
} cr_action;

typedef struct cr_meeting {
	const char *doc;   /* external name, as in search results */
	int64_t doc_id;
	const char *title;
	const char *type;
	const char *lang;  /* "en" or "ja" (kana or kanji in the text) */
	cr_ymd date;       /* y == 0: unknown */
	const char *date_from; /* "content", "name", "title", "metadata" or NULL */
	cr_decision *decisions;
	size_t n_decisions;
	cr_action *actions;
	size_t n_actions;
} cr_meeting;

/* What the extraction reads: one document's catalog facts and its text
 * (cr_corpus_doc_text). */
typedef struct cr_meeting_input {
	const char *doc, *title, *type;
	int64_t doc_id;
	int64_t date; /* the document's own date (unix seconds; 0: none) */
	const cr_doc_text *text;
} cr_meeting_input;

/*
 * Extracts one meeting from a document's text (pure: no corpus needed).
 * Everything lives in arena a. Fails only on memory.
 */
CR_API cr_err cr_meeting_extract(cr_arena *a, const cr_meeting_input *in, cr_meeting *out, cr_msg *m) CR_NODISCARD;

/* Does this document look like meeting material (transcript, minutes,
 * meeting mail)? From its type, name, title and the text's beginning. */
CR_API int cr_meeting_like(const char *doc, const char *title, const char *type, const char *text, size_t len);

typedef struct cr_meetings_opts {
	/* NULL: every meeting document in the corpus. A document name or a
	 * folder of names ("samples/meetings"): those documents (a single
	 * document is analysed whatever it looks like). Otherwise a search
	 * query: its meeting documents among the top k. */
	const char *scope;
	int k;                   /* query results to consider (default 50) */
	const cr_principal *who; /* ACL filter for queries (NULL: everything) */
	const cr_cancel *cancel; /* checked between documents; may be NULL */
} cr_meetings_opts;

/* The meetings in scope, ordered by date then name, in arena a. */
CR_API cr_err cr_agent_meetings(cr_corpus *c, cr_arena *a, const cr_meetings_opts *o, cr_meeting **out,
				size_t *n, cr_msg *m) CR_NODISCARD;

/* Appends {"meetings": [{"doc", "date", "title", "decisions": [{"text",
 * "location"}], "actions": [{"owner", "task", "due", "due_text",
 * "location"}]}]}; "location" as in citations (cr_corpus_loc_json), "date"
 * and "due" ISO dates or null. No trailing newline. */
CR_API cr_err cr_meetings_json(const cr_meeting *ms, size_t n, cr_buf *b) CR_NODISCARD;

/* ---- reports (src/agent/report.c) -------------------------------------- */

/*
 * The meetings as a report. Owners written short ("Kenji", 佐藤) are
 * grouped under the one fuller name of the same meetings they belong to
 * ("Kenji Sato", 佐藤健二). Each appends to b and returns CR_ENOMEM /
 * CR_ETOOBIG when b could not grow.
 *  - _md: Markdown: action items by owner (due, task, what was said, the
 *    meeting, where), then each meeting with its decisions;
 *  - _html: one self-contained HTML file (inline style and SVG, no script,
 *    no external asset): the chart, then the same as the Markdown;
 *  - _chart_svg: the chart alone: action items per owner (bars) and per
 *    due week (a grid: Monday of the ISO week, undated items apart).
 */
CR_API cr_err cr_meetings_report_md(const cr_meeting *ms, size_t n, cr_buf *b) CR_NODISCARD;
CR_API cr_err cr_meetings_report_html(const cr_meeting *ms, size_t n, cr_buf *b) CR_NODISCARD;
CR_API cr_err cr_meetings_chart_svg(const cr_meeting *ms, size_t n, cr_buf *b) CR_NODISCARD;

/* ---- code (src/agent/code.c, code_report.c) ------------------------------ */
/*
 * What an ingested code base holds and what is risky in it, from the
 * corpus alone, with rules: languages, modules (entry points, symbols,
 * what they do from a README or a first comment), findings with their line
 * (TODO/FIXME/HACK/XXX; likely secrets, masked; risky calls per language),
 * and churn from the repository's git-commit documents. The caller's ACL
 * applies to every document read.
 */
typedef struct cr_code_hit {
	const char *kind;  /* "todo", "secret", "risk" */
	const char *rule;  /* "TODO", "aws-access-key", "assigned-secret", "shell-exec", "sql-string", ... */
	size_t off, len;   /* a secret's value in the line */
} cr_code_hit;
/* The findings of one line of code in language lang (the code extractor's
 * names: "c", "python", ...; NULL: unknown): at most max, one per kind.
 * Pure (fuzz/fuzz_code_scan.c). */
CR_API int cr_code_scan_line(const char *lang, const char *line, size_t len, cr_code_hit *hits, int max);

typedef struct cr_code_lang {
	const char *lang;
	int files;
	int64_t lines, bytes;
} cr_code_lang;
typedef struct cr_code_module {
	const char *path;       /* the first folder under the prefix; "." for files at its top */
	int files;
	int64_t lines;
	const char **langs;
	size_t n_langs;
	const char *summary;    /* its README's first paragraph, else its first file's first comment; NULL */
	int summary_from_comment;
	const char **entries;   /* documents with a main / __main__ / #! */
	size_t n_entries;
	const char **symbols;   /* the code extractor's symbols, first 24 */
	size_t n_symbols;
} cr_code_module;
typedef struct cr_code_finding {
	const char *kind, *rule;
	const char *doc;        /* as search prints it */
	int line;               /* 1-based; 0 when unknown */
	const char *text;       /* the line, trimmed (a secret's value masked) */
} cr_code_finding;
typedef struct cr_code_churn {
	const char *month;      /* "YYYY-MM" */
	const char *author;     /* the name, without the address */
	const char *area;       /* the first folder of a changed path, "." for the top */
	int commits;
} cr_code_churn;
typedef struct cr_code_report {
	const char *root;
	const char *summary;    /* the first paragraph of the README at the root; NULL */
	int n_files;
	int64_t n_lines;
	int n_commits;
	cr_code_lang *langs;    /* most lines first */
	size_t n_langs;
	cr_code_module *modules; /* by path */
	size_t n_modules;
	cr_code_finding *findings; /* by document and line */
	size_t n_findings;
	cr_code_churn *churn;   /* by month, author, area */
	size_t n_churn;
} cr_code_report;
typedef struct cr_code_opts {
	const char *prefix;       /* names under it ("samples/code", "myrepo"); NULL: all */
	const cr_principal *who;  /* ACL filter (NULL: everything) */
	const cr_cancel *cancel;
} cr_code_opts;
/* CR_ENOTFOUND when no code the caller may read lies under the prefix. */
CR_API cr_err cr_agent_code(cr_corpus *c, cr_arena *a, const cr_code_opts *o, cr_code_report *out,
			    cr_msg *m) CR_NODISCARD;
/* {"root", "files", "lines", "commits", "languages": [{"lang", "files",
 * "lines", "bytes"}], "modules": [{"path", "files", "lines", "languages",
 * "summary", "entry_points", "symbols"}], "findings": [{"kind", "rule",
 * "doc", "line", "text"}], "churn": [{"month", "author", "area",
 * "commits"}]}; no trailing newline. */
CR_API cr_err cr_code_json(const cr_code_report *r, cr_buf *b) CR_NODISCARD;
/* Markdown, and one self-contained HTML file with SVG charts (lines by
 * language, findings by rule, commits by month). */
CR_API cr_err cr_code_report_md(const cr_code_report *r, cr_buf *b) CR_NODISCARD;
CR_API cr_err cr_code_report_html(const cr_code_report *r, cr_buf *b) CR_NODISCARD;

/* ---- documents (src/agent/docs.c) ---------------------------------------- */
/*
 * What a set of documents says, with rules: each document's lead, and over
 * the set the key figures (a number with a currency or a unit), the dates
 * given (resolved against each document's date) and the people named (the
 * personal-data detector's names, by mentions), each with its sentence and
 * location for a citation. The set: a folder or document name, else a
 * search's top k documents, under who's ACL.
 */
typedef struct cr_docs_item {
	const char *text;      /* the figure as written, the ISO date, the name */
	const char *sentence;  /* where it is said */
	const char *doc;
	cr_loc loc;
	int count;             /* people: mentions */
} cr_docs_item;
typedef struct cr_docs_doc {
	const char *doc, *title, *type;
	int64_t date;          /* unix seconds; 0: unknown */
	const char *summary;   /* its first two sentences of substance; NULL */
	cr_loc loc;            /* of the summary's first sentence */
} cr_docs_doc;
typedef struct cr_docs_report {
	const char *scope;
	cr_docs_doc *docs;
	size_t n_docs;
	cr_docs_item *figures, *dates, *people; /* figures in document order, dates by date, people by mentions */
	size_t n_figures, n_dates, n_people;
} cr_docs_report;
typedef struct cr_docs_opts {
	const char *scope;        /* a folder or document name, or a query; NULL: every document */
	int k;                    /* a query's documents (default 20) */
	const cr_principal *who;
	const cr_cancel *cancel;
} cr_docs_opts;
/* The key figures of one sentence s[0..n): at most max, as byte ranges
 * [starts[i], ends[i]) in order. Pure (fuzz/fuzz_docs_figures.c). */
CR_API int cr_docs_figures(const char *s, size_t n, size_t *starts, size_t *ends, int max);
/* CR_ENOTFOUND when no document the caller may read is in the set. */
CR_API cr_err cr_agent_docs(cr_corpus *c, cr_arena *a, const cr_docs_opts *o, cr_docs_report *out,
			    cr_msg *m) CR_NODISCARD;
/* {"scope", "documents": [{"doc", "title", "type", "date", "summary",
 * "location"}], "figures": [{"figure", "sentence", "doc", "location"}],
 * "dates": [{"date", ...}], "people": [{"name", "mentions", ...}]} */
CR_API cr_err cr_docs_json(const cr_docs_report *r, cr_buf *b) CR_NODISCARD;
/* Markdown, and one self-contained HTML file (charts: documents by type and by month). */
CR_API cr_err cr_docs_report_md(const cr_docs_report *r, cr_buf *b) CR_NODISCARD;
CR_API cr_err cr_docs_report_html(const cr_docs_report *r, cr_buf *b) CR_NODISCARD;

/* ---- the tool loop (src/agent/tools.c, loop.c) ------------------------- */

/*
 * A model given a task and tools: Cristal sends the task and the tools'
 * JSON Schemas to a provider (provider.h, the OpenAI tool-call API), runs
 * each tool call the model makes and sends back its result as a tool
 * message, until the model answers or a budget ends. Tools, named as the
 * model sees them:
 *   search          {query, k}: passages numbered [n] (in the agent's scope)
 *   read_document   {doc, range: {start, end}}: a document's parts
 *                   (chunks, 1-based, inclusive), numbered [n]
 *   list_sources    {prefix, type}: the documents in scope (at most 50)
 *   meeting_actions {path | query}: meetings' decisions and action items
 *   table_stats     {doc, column, sheet, group_by}: rows, count, sum, mean,
 *                   min, max of a spreadsheet's or CSV's column (per group)
 *   write_report    {title, markdown}: writes TITLE.md into the report
 *                   directory; only with allow_write, else a tool error
 * Every passage a tool returns gets the next number of the run; the final
 * answer's [n] are verified against those passages (cr_answer_verify).
 * A malformed call (arguments that are not a JSON object), an unknown tool,
 * missing or mistyped arguments, a document outside the scope: a tool error
 * the model can correct, never a failure of the run. A call repeated with
 * the same tool and the same arguments (compared as canonical JSON) is cut
 * off with a tool error. max_failures tool errors in a row end the run
 * (stop "tool_failures").
 */

/* Which documents an agent may see: a document is inside when its name
 * matches one of the path prefixes ("samples/docs", "a.md", matched at a
 * '/' or '#' boundary; none: any), its type one of the types ("md",
 * "pdf"; none: any) and its ACL grants one of the groups (by name, as
 * `cristal group` and ingest --acl give them; none: any; a document
 * granted to no group is outside a group scope). Enforced by the tools on
 * every result, whatever the model asks. A scope entry "type:KIND" given
 * to cr_agent_scope_add is a type, "group:G" a group, anything else a
 * prefix. Groups are resolved to ids when the tools are made
 * (cr_agent_tools_new); a group that no longer exists admits nothing. */
typedef struct cr_agent_scope {
	const char **prefixes;
	size_t n_prefixes;
	const char **types;
	size_t n_types;
	const char **groups;
	size_t n_groups;
} cr_agent_scope;
/* Adds one entry (copied into a). */
CR_API cr_err cr_agent_scope_add(cr_agent_scope *s, cr_arena *a, const char *entry) CR_NODISCARD;
/* 1 when a document of this name and type is inside the scope's paths and
 * types (NULL s: any); groups are the tools' to check (they know the ids). */
CR_API int cr_agent_scope_has(const cr_agent_scope *s, const char *doc, const char *type);

/* One tool call as it ran. */
typedef struct cr_agent_step {
	int i;                      /* 1-based */
	const char *tool;           /* as the model named it */
	const char *arguments;      /* as the model wrote them */
	const char *result;         /* what the model was sent (JSON) */
	const char *result_summary; /* one line: "3 passages [1]-[3]", "error: ..." */
	int ok;                     /* 0: a tool error */
	double ms;
	const int64_t *chunk_ids;   /* the chunks returned (for the audit log) */
	size_t n_chunk_ids;
} cr_agent_step;

/* Called after each tool call, before the result goes back to the model
 * (the CLI prints it and records it in the audit log); non-zero stops the
 * run with CR_ECANCELED. */
typedef int (*cr_agent_step_fn)(void *ctx, const cr_agent_step *s);

/* A tool from outside Cristal (an MCP server's, cmd_agent.c): offered to
 * the model beside the built-in ones under `name` (OpenAI function names:
 * [A-Za-z0-9_-], at most 64), its JSON Schema `parameters` as text. call
 * gets the arguments as JSON object text and fills out with the result
 * text; *is_error or a failed call (the server gone, a timeout) is a tool
 * error the model sees, never a failure of the run. `label` names it in
 * step summaries ("mcp:fs/read_text_file"). */
typedef struct cr_agent_ext_tool {
	const char *name, *label, *description, *parameters;
	cr_err (*call)(void *ctx, const char *arguments, cr_buf *out, int *is_error, cr_msg *m);
	void *ctx;
} cr_agent_ext_tool;

typedef struct cr_agent_opts {
	int max_steps;            /* tool calls (default 8) */
	int64_t max_tokens;       /* prompt + completion tokens over the run (0: none) */
	int max_failures;         /* tool errors in a row that end the run (default 3) */
	const cr_cancel *cancel;  /* wall time: its deadline; may be NULL */
	const cr_agent_scope *scope; /* NULL: the whole corpus */
	const cr_principal *who;  /* ACL filter (NULL: everything) */
	int allow_write;          /* write_report may write */
	const char *out_dir;      /* where write_report writes (NULL: ".") */
	cr_agent_step_fn on_step;
	void *on_step_ctx;
	const cr_agent_ext_tool *ext_tools; /* borrowed for the run */
	size_t n_ext_tools;
	/* The built-in tools offered, by name (NULL: all six). A tool left out
	 * is neither described to the model nor run when it asks. */
	const char *const *builtins;
	size_t n_builtins;
	const cr_egress_policy *egress; /* what the tools may show the provider (policy.h; NULL: defaults) */
	const char *tenant;       /* whose egress rules apply (NULL: the base rules) */
	/* The corpus's embedder (provider.h cr_embedder_embed and its
	 * embedder): the search tool then runs hybrid when the corpus has
	 * vectors, as `cristal search` does. NULL: BM25. An embedding that
	 * fails is a BM25 search, not a tool error. */
	cr_embed_fn embed;
	void *embed_ctx;
} cr_agent_opts;

/* 1 when name is a built-in tool ("search", ... "write_report"). */
CR_API int cr_agent_tool_builtin(const char *name);
/* The read-only built-ins, a stored agent's default ("search",
 * "read_document", "list_sources", "meeting_actions", "table_stats"). */
CR_API const char *const *cr_agent_tools_readonly(size_t *n);

/* The tools' state over one run: the passages numbered so far, the calls
 * made. Used by one thread at a time; lives until cr_agent_tools_free. */
typedef struct cr_agent_tools cr_agent_tools;
/* The passages' strings live in arena a (which must outlive t's use). */
CR_API cr_err cr_agent_tools_new(cr_corpus *c, const cr_agent_opts *o, cr_arena *a, cr_agent_tools **out,
				 cr_msg *m) CR_NODISCARD;
CR_API void cr_agent_tools_free(cr_agent_tools *t);
/* The OpenAI "tools" array (static text). */
CR_API const char *cr_agent_tools_json(void);
/* The same with o's ext_tools appended (in arena a; the static text when
 * there are none). CR_ECORRUPT when a tool's parameters are not a JSON
 * object. */
CR_API cr_err cr_agent_tools_json_ext(const cr_agent_opts *o, cr_arena *a, const char **out, cr_msg *m) CR_NODISCARD;
/* Runs one call: fills *out (strings in arena a; out->i left 0). A tool
 * error is out->ok = 0 with the reason in out->result, and CR_OK; only
 * memory or a broken catalog fail the call. */
CR_API cr_err cr_agent_tools_call(cr_agent_tools *t, cr_arena *a, const char *name, const char *arguments,
				  cr_agent_step *out, cr_msg *m) CR_NODISCARD;
/* The passages numbered so far (valid until the next call or free). */
CR_API const cr_source *cr_agent_tools_sources(const cr_agent_tools *t, size_t *n);

typedef struct cr_agent_result {
	cr_answer answer;        /* text (verified [n]), citations, unverified; sources:
				  * every passage the tools returned */
	const char *stop;        /* "answer", "max_steps", "max_tokens", "timeout",
				  * "canceled", "tool_failures" */
	const char *stop_detail; /* a sentence for people */
	cr_agent_step *steps;
	size_t n_steps;
	int model_calls;
	int64_t prompt_tokens, completion_tokens;
	const char *provider;    /* that answered last */
} cr_agent_result;

/*
 * Runs the task. Everything in *out lives in arena a. A budget that ends
 * the run is CR_OK with out->stop saying which (answer.text then NULL);
 * provider errors other than the deadline are returned as they are.
 */
CR_API cr_err cr_agent_run(cr_corpus *c, cr_provider *p, cr_arena *a, const char *task, const cr_agent_opts *o,
			   cr_agent_result *out, cr_msg *m) CR_NODISCARD;

/* {"answer", "citations": [{n, doc, location, quote}], "unverified",
 * "steps": [{"tool", "arguments", "result_summary", "ms", "ok"}], "usage":
 * {"prompt_tokens", "completion_tokens", "model_calls"}, "stop"}. */
CR_API cr_err cr_agent_result_json(const cr_agent_result *r, cr_buf *b) CR_NODISCARD;

#endif
