/*
 * agent_int.h — what the agent's files share.
 */
#ifndef CR_AGENT_INT_H
#define CR_AGENT_INT_H

#include "cristal/agent.h"

#include <stdio.h>

/* What the HTML reports share (code_report.c): text escaped for HTML, a
 * horizontal SVG bar chart with its title, the reports' style sheet. */
typedef struct agent_bar {
	const char *label;
	double v;
} agent_bar;
cr_err agent_html(cr_buf *b, const char *s) CR_NODISCARD;
/* A JSON string, or null for NULL. */
cr_err agent_json_str(cr_buf *b, const char *s) CR_NODISCARD;
cr_err agent_svg_bars(cr_buf *b, const char *title, const agent_bar *v, size_t n, const char *unit) CR_NODISCARD;
extern const char agent_report_css[];

/*
 * The documents an analysis reads (scope.c): none → every document of the
 * catalog; a document name or a folder of names ("samples/meetings",
 * names inside a mail too: "x.eml#...") → those documents (*single when
 * exactly one document is named); anything else → a search (plain words),
 * its top k documents (50 when k <= 0) under who's ACL. Free *ids with
 * cr_free; rows are not yet checked against the ACL.
 */
cr_err agent_select(cr_corpus *c, const char *scope, int k, const cr_principal *who, const cr_cancel *cancel,
		    int64_t **ids, size_t *n, int *single, cr_msg *m) CR_NODISCARD;

#endif
