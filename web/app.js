// app.js — Cristal's web UI: chat with streamed answers whose citations open
// the cited passage, highlighted; search with filters; the sources list
// and uploads; the stored agents (run one, read its steps and citations);
// the admin page (users, groups, API tokens, the providers' kill-switch).
// Plain DOM, no dependencies; every text from the server is inserted as
// text (never as HTML).
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

// ---- API calls: a session cookie (log-in) or a token ------------------------
//
// After a log-in the browser holds an HttpOnly session cookie the page
// cannot read; every request that changes something sends the session's
// CSRF token (from the log-in answer or /api/me) in X-CSRF-Token. An API
// token given instead is kept in localStorage and sent as a bearer token.

let csrf = null;

function call(url, opts = {}) {
  const tok = localStorage.getItem("cristal.token");
  const h = Object.assign({}, opts.headers || {});
  if (tok) h.Authorization = "Bearer " + tok;
  else if (csrf && opts.method && opts.method !== "GET") h["X-CSRF-Token"] = csrf;
  opts.headers = h;
  opts.credentials = "same-origin";
  return fetch(url, opts).then((resp) => {
    if (resp.status === 401) showLogin();
    return resp;
  });
}

function showLogin(msg) {
  $("login").hidden = false;
  $("logout").hidden = true;
  $("whoami").hidden = true;
  setRole(null);
  const err = $("login-error");
  err.hidden = !msg;
  err.textContent = msg || "";
  $("login-user").focus();
}

// The Admin tab is offered to admins (the server checks every call anyway).
let role = null;
function setRole(r) {
  role = r || null;
  $("tab-admin").hidden = role !== "admin";
  if (location.hash === "#admin" && role && role !== "admin") location.hash = "#chat";
}

function signedIn(me) {
  $("login").hidden = true;
  setRole(me && me.role);
  agentsLoaded = false;
  adminLoaded = false;
  $("login-error").hidden = true;
  if (me && me.user) {
    $("whoami").textContent = me.user;
    $("whoami").hidden = false;
    $("logout").hidden = false;
  }
  sourcesLoaded = false;
  sourcesNext = 0;
  sourcesCount = 0;
  $("sources-body").replaceChildren();
}

// Who the page runs as; the CSRF token of a session.
async function whoAmI() {
  const resp = await call("/api/me");
  if (!resp.ok) return;
  const me = await resp.json();
  csrf = me.csrf || null;
  if (me.user) signedIn(me);
  else setRole(me.role);
  route();
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const user = $("login-user").value.trim(), password = $("login-password").value;
  if (!user || !password) return;
  $("login-submit").disabled = true;
  try {
    const resp = await fetch("/api/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user, password }),
    });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const wait = Number(resp.headers.get("Retry-After") || 0);
      showLogin(resp.status === 429 ? t("login.limited", { n: wait || 30 }) : t("login.failed"));
      return;
    }
    localStorage.removeItem("cristal.token");
    csrf = body.csrf;
    $("login-password").value = "";
    signedIn(body);
    route();
  } finally {
    $("login-submit").disabled = false;
  }
});

$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const tok = $("token").value.trim();
  if (!tok) return;
  localStorage.setItem("cristal.token", tok);
  $("token").value = "";
  signedIn(null);
  whoAmI();
});

$("logout").addEventListener("click", async () => {
  await call("/api/logout", { method: "POST" });
  csrf = null;
  localStorage.removeItem("cristal.token");
  showLogin();
});

// ---- views -----------------------------------------------------------------

const VIEWS = ["chat", "search", "meetings", "sources", "agents", "admin", "account"];
function route() {
  const v = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "chat";
  for (const name of VIEWS) {
    $("view-" + name).hidden = name !== v;
    const tab = $("tab-" + name); // the account page has no tab: the user's name links to it
    if (tab) tab.setAttribute("aria-selected", String(name === v));
  }
  if (v === "sources" && !sourcesLoaded) loadSources();
  if (v === "meetings" && !meetingsLoaded) loadMeetings();
  if (v === "agents" && !agentsLoaded) loadAgents();
  if (v === "admin" && !adminLoaded && role === "admin") loadAdmin();
  if (v === "chat") $("question").focus();
  if (v === "account") $("pw-current").focus();
}
window.addEventListener("hashchange", route);

// ---- locations -------------------------------------------------------------

function fmtTime(s) {
  s = Math.floor(s);
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, x = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${x}` : `${m}:${x}`;
}

function locText(loc) {
  if (!loc) return "";
  const p = [];
  if (loc.page) p.push(t("loc.page", { v: loc.page }));
  if (loc.slide) p.push(t("loc.slide", { v: loc.slide }));
  if (loc.sheet) p.push(t("loc.sheet", { v: loc.sheet }));
  if (loc.line) {
    const rows = !!loc.sheet;
    if (loc.line_end && loc.line_end > loc.line) p.push(t(rows ? "loc.rows" : "loc.lines", { a: loc.line, b: loc.line_end }));
    else p.push(t(rows ? "loc.row" : "loc.line", { v: loc.line }));
  }
  if (loc.speaker) p.push(loc.speaker);
  if (typeof loc.time === "number") p.push(t("loc.at", { v: fmtTime(loc.time) }));
  return p.join(", ");
}

const LOC_KEYS = ["page", "slide", "sheet", "line", "line_end", "speaker", "time", "symbol"];
function sameLoc(a, b) {
  return LOC_KEYS.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

// Text with «marked» terms as <mark> elements.
function marked(text) {
  const frag = document.createDocumentFragment();
  const parts = String(text || "").split(/«([^»]*)»/);
  parts.forEach((s, i) => frag.append(i % 2 ? el("mark", { text: s }) : document.createTextNode(s)));
  return frag;
}

// ---- server-sent events over fetch ------------------------------------------

async function* readEvents(resp) {
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) yield { event, data: JSON.parse(data) };
    }
  }
}

// ---- chat ------------------------------------------------------------------

function answerText(ans, onCite) {
  const p = el("p", { class: "answer-text" });
  const cited = new Set(ans.citations.map((c) => c.n));
  for (const [i, s] of ans.answer.split(/\[(\d+)\]/).entries()) {
    if (i % 2 === 0) p.append(s);
    else if (cited.has(Number(s)))
      p.append(el("button", { type: "button", class: "cite", "data-n": s, onclick: () => onCite(Number(s)),
        "aria-label": `${t("chat.sources")} ${s}` }, `[${s}]`));
    else p.append(`[${s}]`);
  }
  return p;
}

function renderAnswer(box, ans) {
  box.replaceChildren();
  const open = (n) => {
    const c = ans.citations.find((x) => x.n === n);
    if (c) openDoc(c.doc, c.location, c.quote);
  };
  box.append(answerText(ans, open));
  if (ans.citations.length) {
    const list = el("ol", { class: "cites" });
    for (const c of ans.citations) {
      list.append(el("li", {},
        el("button", { type: "button", class: "cite-src", onclick: () => open(c.n) },
          el("span", { class: "n", text: `[${c.n}]` }), " ",
          el("span", { class: "doc", text: c.doc }),
          c.location && locText(c.location) ? el("span", { class: "loc", text: " · " + locText(c.location) }) : null),
        c.quote ? el("q", { text: c.quote }) : null));
    }
    box.append(el("p", { class: "cites-head", text: t("chat.sources") }), list);
  }
  if (ans.unverified && ans.unverified.length) {
    const list = el("ul", { class: "unverified" });
    for (const u of ans.unverified) list.append(el("li", { text: `[${u.n}] ${u.reason}` }));
    box.append(el("p", { class: "cites-head", text: t("chat.unverified") }), list);
  }
  if (ans.mode) box.append(el("p", { class: "mode", text: ans.mode === "extractive" ? t("chat.mode.extractive")
    : `${t("chat.mode.model")} ${ans.mode.replace(/^model:/, "")}` }));
}

async function ask(question) {
  $("chat-hint")?.remove();
  const msgs = $("messages");
  msgs.append(el("div", { class: "msg user" }, el("p", { text: question })));
  const box = el("div", { class: "msg bot", "aria-busy": "true" }, el("p", { class: "thinking", text: t("chat.thinking") }));
  msgs.append(box);
  box.scrollIntoView({ block: "end" });
  let live = null;
  try {
    const resp = await call("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, stream: true }),
    });
    if (!resp.ok) throw new Error((await resp.json()).error.message);
    for await (const { event, data } of readEvents(resp)) {
      if (event === "delta") {
        if (!live) {
          live = el("p", { class: "answer-text streaming" });
          box.replaceChildren(live);
        }
        live.append(data.text);
      } else if (event === "answer") {
        renderAnswer(box, data);
      } else if (event === "error") {
        throw new Error(data.error.message);
      }
      box.scrollIntoView({ block: "end" });
    }
  } catch (err) {
    box.replaceChildren(el("p", { class: "error", text: `${t("chat.error")}: ${err.message}` }));
  }
  box.removeAttribute("aria-busy");
}

$("ask-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = $("question").value.trim();
  if (!q) return;
  $("question").value = "";
  ask(q);
});
$("question").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $("ask-form").requestSubmit();
  }
});

// ---- the passage viewer ----------------------------------------------------

function highlight(node, needle) {
  const text = node.textContent;
  const at = needle ? text.indexOf(needle) : -1;
  if (at < 0) return null;
  const m = el("mark", { class: "cited", id: "cited", text: needle });
  node.replaceChildren(text.slice(0, at), m, text.slice(at + needle.length));
  return m;
}

async function openDoc(name, loc, quote, terms) {
  const v = $("viewer"), body = $("viewer-body");
  v.hidden = false;
  $("viewer-title").textContent = name;
  $("viewer-meta").textContent = t("viewer.loading");
  body.replaceChildren();
  let doc;
  try {
    const resp = await call("/api/documents/" + encodeURIComponent(name));
    doc = await resp.json();
    if (!resp.ok) throw new Error(doc.error.message);
  } catch (err) {
    $("viewer-meta").textContent = `${t("chat.error")}: ${err.message}`;
    return;
  }
  $("viewer-title").textContent = doc.title || doc.doc;
  $("viewer-meta").textContent = [doc.doc, doc.type].filter(Boolean).join(" · ");
  const sections = doc.sections || [{ text: doc.text }];
  let target = null, targetText = null;
  for (const s of sections) {
    const here = loc && sameLoc(s, loc);
    const txt = el("div", { class: "text", text: s.text });
    const sec = el("section", { class: "passage" + (here ? " at" : "") },
      locText(s) ? el("p", { class: "loc", text: locText(s) }) : null, txt);
    body.append(sec);
    // the cited section: at the citation's location, holding the quote
    if (here && (!target || (quote && s.text.includes(quote) && !target.textContent.includes(quote)))) {
      target = sec;
      targetText = txt;
    }
  }
  if (!target && quote) {
    for (const sec of body.querySelectorAll(".passage"))
      if (sec.textContent.includes(quote)) { target = sec; targetText = sec.querySelector(".text"); break; }
  }
  if (target) {
    target.classList.add("cited-section");
    target.setAttribute("aria-label", t("viewer.cited"));
    const m = highlight(targetText, quote);
    for (const term of terms || []) if (!m) highlightTerm(targetText, term);
    (m || target).scrollIntoView({ block: "center" });
  }
}

function highlightTerm(node, term) {
  if (!term) return;
  const text = node.textContent, at = text.toLowerCase().indexOf(term.toLowerCase());
  if (at < 0 || node.querySelector("mark")) return;
  node.replaceChildren(text.slice(0, at), el("mark", { text: text.slice(at, at + term.length) }), text.slice(at + term.length));
}

$("viewer-close").addEventListener("click", () => { $("viewer").hidden = true; });
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") $("viewer").hidden = true; });

// ---- search ------------------------------------------------------------------

$("search-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const p = new URLSearchParams({ q: $("q").value, k: "20" });
  if ($("f-type").value) p.set("type", $("f-type").value);
  if ($("f-path").value.trim()) p.set("path", $("f-path").value.trim());
  if ($("f-from").value) p.set("from", $("f-from").value);
  if ($("f-to").value) p.set("to", $("f-to").value);
  const list = $("results");
  list.replaceChildren();
  $("search-status").textContent = "…";
  try {
    const resp = await call("/api/search?" + p);
    const r = await resp.json();
    if (!resp.ok) throw new Error(r.error.message);
    $("search-status").textContent = r.results.length ? t(r.results.length === 1 ? "search.count1" : "search.count", { n: r.results.length }) : t("search.none");
    for (const x of r.results) {
      const loc = {};
      for (const k of LOC_KEYS) if (k in x) loc[k] = x[k];
      const terms = [...String(x.snippet || "").matchAll(/«([^»]*)»/g)].map((m) => m[1]);
      list.append(el("li", { class: "result" },
        el("button", { type: "button", class: "result-doc", onclick: () => openDoc(x.doc, loc, null, terms) },
          el("span", { class: "doc", text: x.doc })),
        el("span", { class: "loc", text: [locText(loc), x.type, `${t("search.score")} ${x.score.toFixed(2)}`].filter(Boolean).join(" · ") }),
        x.title ? el("p", { class: "title", text: x.title }) : null,
        el("p", { class: "snippet" }, marked(x.snippet))));
    }
  } catch (err) {
    $("search-status").textContent = `${t("chat.error")}: ${err.message}`;
  }
});

// ---- meetings -----------------------------------------------------------------
//
// The meetings analysis (GET /api/meetings): action items grouped by owner,
// earliest due first, each opening its meeting at the place it was said;
// the decisions; the HTML report opened in a new tab (fetched with the
// page's credentials, shown from a blob).

let meetingsLoaded = false;
async function loadMeetings() {
  meetingsLoaded = true;
  const scope = $("meetings-scope").value.trim();
  const status = $("meetings-status");
  status.textContent = t("viewer.loading");
  try {
    const resp = await call("/api/meetings" + (scope ? "?scope=" + encodeURIComponent(scope) : ""));
    const r = await resp.json();
    if (!resp.ok) throw new Error(r.error.message);
    const rows = [];
    for (const m of r.meetings) for (const a of m.actions) rows.push({ m, a });
    rows.sort((x, y) => x.a.owner.localeCompare(y.a.owner) || (x.a.due || "9999").localeCompare(y.a.due || "9999"));
    $("actions-body").replaceChildren(...rows.map(({ m, a }) => el("tr", {},
      el("td", { text: a.owner }),
      el("td", { class: "num", text: a.due || (a.due_text ? `(${a.due_text})` : t("meetings.nodate")) }),
      el("td", { text: a.task }),
      el("td", {}, el("button", { type: "button", class: "link", onclick: () => openDoc(m.doc, a.location) },
        (m.date ? m.date + " " : "") + (m.title || m.doc))))));
    const decisions = [];
    for (const m of r.meetings) for (const d of m.decisions) decisions.push({ m, d });
    $("decisions").replaceChildren(...decisions.map(({ m, d }) => el("li", {}, d.text + " — ",
      el("button", { type: "button", class: "link", onclick: () => openDoc(m.doc, d.location) },
        (m.date ? m.date + " " : "") + (m.title || m.doc)))));
    status.textContent = t("meetings.count", { m: r.meetings.length, a: rows.length, d: decisions.length });
  } catch (err) {
    status.textContent = `${t("chat.error")}: ${err.message}`;
  }
}
$("meetings-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadMeetings(); });
$("meetings-report").addEventListener("click", async () => {
  const scope = $("meetings-scope").value.trim();
  const url = "/api/reports/meetings" + (scope ? "?scope=" + encodeURIComponent(scope) : "");
  // a session's cookie goes with a plain link (the report keeps its own
  // style policy); a token cannot, so its report is fetched and shown
  if (!localStorage.getItem("cristal.token")) {
    window.open(url, "_blank", "noopener");
    return;
  }
  const tab = window.open("", "_blank");
  try {
    const resp = await call(url);
    if (!resp.ok) throw new Error((await resp.json()).error.message);
    const blob = URL.createObjectURL(new Blob([await resp.text()], { type: "text/html" }));
    if (tab) tab.location = blob;
  } catch (err) {
    if (tab) tab.close();
    $("meetings-status").textContent = `${t("chat.error")}: ${err.message}`;
  }
});

// ---- sources ------------------------------------------------------------------

let sourcesLoaded = false, sourcesNext = 0, sourcesCount = 0;
function fmtSize(n) {
  return n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + " MB" : n >= 1024 ? (n / 1024).toFixed(1) + " KB" : n + " B";
}
// Per source root (GET /api/ingest): what the user may read of it, when it
// was last ingested, the files it rejected and why (admins), and the
// uploads being ingested now.
async function loadIngest() {
  try {
    const resp = await call("/api/ingest");
    const r = await resp.json();
    if (!resp.ok) throw new Error(r.error.message);
    $("ingest-body").replaceChildren(...r.sources.map((s) => el("tr", { "data-source": s.name },
      el("td", { title: s.root || null, text: s.name }), el("td", { text: word("kind", s.kind) }),
      el("td", { class: "num", text: String(s.documents) }), el("td", { class: "num", text: String(s.chunks) }),
      el("td", { class: "num", text: fmtWhen((s.ingested || s.added) * 1000) }),
      el("td", { class: "rejected" }, !s.rejected ? null : !s.rejected.count ? "0"
        : el("details", {}, el("summary", { text: t("ingest.nrejected", { n: s.rejected.count }) }),
          el("ul", {}, ...s.rejected.files.map((f) => el("li", {}, el("code", { text: f.name }), ": " + f.reason))))))));
    if (!r.sources.length)
      $("ingest-body").append(el("tr", {}, el("td", { colspan: "6", class: "hint", text: t("ingest.none") })));
    $("ingest-running").textContent = r.running.uploads
      ? t("ingest.running", { names: r.running.files.map((f) => f.name).join(", ") || String(r.running.uploads) })
      : t("ingest.idle");
  } catch (err) {
    $("ingest-running").textContent = `${t("chat.error")}: ${err.message}`;
  }
}

async function loadSources() {
  sourcesLoaded = true;
  if (!sourcesNext) loadIngest();
  try {
    const resp = await call(`/api/documents?limit=100&after=${sourcesNext}`);
    const r = await resp.json();
    if (!resp.ok) throw new Error(r.error.message);
    for (const d of r.documents) {
      sourcesCount++;
      $("sources-body").append(el("tr", {},
        el("td", {}, el("button", { type: "button", class: "link", onclick: () => openDoc(d.name) }, d.name)),
        el("td", { text: d.title || "" }), el("td", { text: d.type || "" }),
        el("td", { class: "num", text: String(d.chunks) }), el("td", { class: "num", text: fmtSize(d.size) })));
    }
    sourcesNext = r.next;
    $("sources-more").hidden = r.next === null;
    $("sources-status").textContent = t("sources.count", { n: sourcesCount });
  } catch (err) {
    $("sources-status").textContent = `${t("chat.error")}: ${err.message}`;
  }
}
$("sources-more").addEventListener("click", loadSources);

// An upload is ingested at once (extracted by the server's jailed worker);
// the list is then read again so the new document shows.
$("upload-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  const status = $("upload-status");
  status.textContent = t("upload.busy", { name: file.name });
  try {
    const q = `name=${encodeURIComponent(file.name)}&share=${encodeURIComponent($("upload-share").value)}`;
    const resp = await call(`/api/documents?${q}`, {
      method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file });
    const r = await resp.json();
    if (!resp.ok) throw new Error(r.error.message);
    status.textContent = t(`upload.${r.status}`, { name: r.document.name, n: r.document.chunks });
    $("upload-form").reset();
    sourcesNext = 0;
    sourcesCount = 0;
    $("sources-body").replaceChildren();
    loadSources();
  } catch (err) {
    status.textContent = `${t("chat.error")}: ${err.message}`;
  }
});

// ---- agents --------------------------------------------------------------------
//
// The stored agents (GET /api/agents) with their schedule, scope, tools and
// last run; "Run now" starts a run in the background and follows its
// steps live (Cancel stops it), then shows the answer, its verified
// citations (each opens the cited passage) and its steps;
// the agent's recent runs come from GET /api/agents/NAME.

let agentsLoaded = false;

function fmtWhen(ms) {
  if (!ms) return "";
  return new Date(ms).toLocaleString(LANG === "ja" ? "ja-JP" : undefined, { dateStyle: "medium", timeStyle: "short" });
}

// A known word in the page's language, else the server's word.
function word(prefix, v) {
  const k = prefix + "." + v, s = t(k);
  return s === k ? v : s;
}

function lastRunText(r) {
  if (!r) return t("agents.never");
  return `${word("run", r.status)} · ${fmtWhen(r.started)} · ${t("agents.nsteps", { n: r.steps })}`;
}

function agentBadge(r) {
  return el("span", { class: "badge st-" + (r ? r.status : "none"), text: r ? word("run", r.status) : t("agents.never") });
}

async function loadAgents() {
  agentsLoaded = true;
  const status = $("agents-status");
  status.textContent = t("viewer.loading");
  try {
    const resp = await call("/api/agents");
    const r = await resp.json();
    if (!resp.ok) throw new Error(r.error.message);
    $("agents-list").replaceChildren(...r.agents.map((a) => el("li", { class: "card agent", "data-agent": a.name },
      el("div", { class: "card-head" },
        el("button", { type: "button", class: "link agent-name", onclick: () => showAgent(a.name) }, a.name),
        agentBadge(a.last_run)),
      el("dl", { class: "facts" },
        el("dt", { text: t("agents.schedule") }), el("dd", { text: a.schedule || t("agents.by_hand") }),
        el("dt", { text: t("agents.scope") }), el("dd", { text: a.scopes.length ? a.scopes.join(", ") : t("agents.everything") }),
        el("dt", { text: t("agents.tools") }), el("dd", { text: a.tools.join(", ") }),
        el("dt", { text: t("agents.last") }), el("dd", { class: "last-run", text: lastRunText(a.last_run) })),
      el("div", { class: "card-actions" },
        el("button", { type: "button", class: "primary run-now", onclick: (ev) => runAgent(a.name, ev.currentTarget) }, t("agents.run")),
        el("button", { type: "button", class: "secondary", onclick: () => showAgent(a.name) }, t("agents.show"))))));
    status.textContent = r.agents.length === 1 ? t("agents.one")
      : r.agents.length ? t("agents.count", { n: r.agents.length }) : t("agents.none");
  } catch (err) {
    status.textContent = `${t("chat.error")}: ${err.message}`;
  }
}

async function showAgent(name) {
  const box = $("agent-detail");
  if ($("agent-title").textContent !== name) $("agent-run").replaceChildren();
  box.hidden = false;
  $("agent-title").textContent = name;
  try {
    const resp = await call("/api/agents/" + encodeURIComponent(name));
    const r = await resp.json();
    if (!resp.ok) throw new Error(r.error.message);
    $("agent-instructions").textContent = r.agent.instructions || "";
    $("agent-runs").replaceChildren(...r.runs.map((x) => el("tr", {},
      el("td", { class: "num", text: fmtWhen(x.started) }), el("td", { text: word("kind", x.kind) }),
      el("td", {}, agentBadge(x)),
      el("td", { class: "num", text: String(x.steps) }), el("td", { text: x.error || x.report || "" }))));
    if (!r.runs.length) $("agent-runs").append(el("tr", {}, el("td", { colspan: "5", class: "hint", text: t("agents.never") })));
  } catch (err) {
    $("agent-instructions").textContent = `${t("chat.error")}: ${err.message}`;
  }
}

function renderSteps(steps) {
  const rows = steps.map((s, i) => el("tr", { class: s.ok === false ? "bad" : null },
    el("td", { class: "num", text: String(i + 1) }), el("td", {}, el("code", { text: s.tool })),
    el("td", {}, el("code", { class: "args", text: typeof s.arguments === "string" ? s.arguments : JSON.stringify(s.arguments) })),
    el("td", { text: s.result_summary || "" }), el("td", { class: "num", text: `${s.ms} ms` })));
  return el("div", { class: "scroll" }, el("table", { class: "sources steps" },
    el("thead", {}, el("tr", {}, el("th", { text: "#" }), el("th", { text: t("steps.tool") }), el("th", { text: t("steps.args") }),
      el("th", { text: t("steps.result") }), el("th", { text: t("steps.time") }))),
    el("tbody", {}, ...rows)));
}

// A run starts in the background (POST /api/agents/NAME/runs) and is
// followed live (GET /api/runs/ID/events): each step shows as it ends,
// Cancel asks the server to stop it (DELETE /api/runs/ID), and "done"
// brings the answer. Leaving the page does not stop the run.
async function runAgent(name, button) {
  await showAgent(name);
  const out = $("agent-run");
  out.setAttribute("aria-busy", "true");
  const live = el("p", { class: "thinking", text: t("agents.running", { name }) });
  const cancel = el("button", { type: "button", class: "danger cancel-run", hidden: true }, t("agents.cancel"));
  const trace = el("div", { class: "live-steps" });
  out.replaceChildren(live, cancel, trace);
  if (button) button.disabled = true;
  $("agent-detail").scrollIntoView({ block: "start" });
  const steps = [];
  try {
    let resp = await call("/api/agents/" + encodeURIComponent(name) + "/runs", { method: "POST" });
    const started = await resp.json();
    if (!resp.ok) throw new Error(started.error.message);
    const id = started.run;
    cancel.hidden = false;
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      cancel.textContent = t("agents.canceling");
      const r = await call("/api/runs/" + id, { method: "DELETE" });
      if (!r.ok) cancel.disabled = false;
    });
    resp = await call("/api/runs/" + id + "/events");
    if (!resp.ok) throw new Error(((await resp.json()).error || {}).message || String(resp.status));
    let fin = null;
    for await (const ev of readEvents(resp)) {
      if (ev.event === "step") {
        steps.push(ev.data);
        live.textContent = t("agents.live", { name, n: steps.length });
        trace.replaceChildren(renderSteps(steps));
      } else if (ev.event === "done") fin = ev.data;
      else if (ev.event === "error") throw new Error(ev.data.error.message);
    }
    if (!fin) throw new Error(t("chat.error"));
    cancel.remove();
    const r = fin.result || {};
    const parts = [];
    if (r.answer) {
      const ans = el("div", { class: "msg bot run-answer" });
      renderAnswer(ans, { answer: r.answer || "", citations: r.citations || [], unverified: r.unverified || [] });
      parts.push(ans);
    }
    parts.push(el("p", { class: "mode run-state" }, agentBadge({ status: fin.state }),
      fin.error ? ` ${fin.error}` : r.stop ? ` ${t("agents.stop")}: ${r.stop}` : ""));
    parts.push(el("h3", { text: t("agents.trace", { n: (r.steps || fin.steps || []).length }) }),
      renderSteps(r.steps || fin.steps || []));
    out.replaceChildren(...parts);
  } catch (err) {
    out.replaceChildren(el("p", { class: "error", text: `${t("chat.error")}: ${err.message}` }), trace);
  } finally {
    out.removeAttribute("aria-busy");
    if (button) button.disabled = false;
  }
  showAgent(name);
  // the list's last run too
  const resp = await call("/api/agents");
  if (!resp.ok) return;
  for (const a of (await resp.json()).agents) {
    const card = document.querySelector(`[data-agent="${CSS.escape(a.name)}"]`);
    if (!card) continue;
    card.querySelector(".last-run").textContent = lastRunText(a.last_run);
    card.querySelector(".badge").replaceWith(agentBadge(a.last_run));
  }
}

// ---- admin -----------------------------------------------------------------------
//
// Admins only (the tab shows for them; the server answers 403 to others):
// the tenant's users (add with role, groups, organisation and an initial
// password; remove), the groups, API tokens (created for a user and shown
// once; revoked) and the providers' kill-switch (suspend with a reason,
// resume). The server audits every change.

let adminLoaded = false;

function adminSay(text, bad) {
  const s = $("admin-status");
  s.textContent = text;
  s.classList.toggle("error", !!bad);
}

async function api(method, url, body) {
  const opts = { method };
  if (body !== undefined) {
    opts.headers = { "Content-Type": "application/json" };
    opts.body = JSON.stringify(body);
  }
  const resp = await call(url, opts);
  const r = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error((r.error && r.error.message) || String(resp.status));
  return r;
}

// Runs fn; says done(result) or the error; the result, or null on error.
async function adminDo(fn, done) {
  try {
    const r = await fn();
    if (done) adminSay(done(r), false);
    return r;
  } catch (err) {
    adminSay(`${t("chat.error")}: ${err.message}`, true);
    return null;
  }
}

async function loadUsers() {
  const r = await api("GET", "/api/users");
  $("users-body").replaceChildren(...r.users.map((u) => el("tr", { "data-user": u.name },
    el("td", { text: u.name }), el("td", { text: word("role", u.role) }), el("td", { text: u.tenant || "default" }),
    el("td", { text: u.groups.join(", ") }),
    el("td", { class: "actions" }, el("button", { type: "button", class: "secondary edit-user", onclick: (ev) => editUser(u, ev.currentTarget.closest("tr")) }, t("admin.edit")),
      el("button", { type: "button", class: "danger", onclick: async () => {
      if (!confirm(t("admin.confirm_rm", { name: u.name }))) return;
      if (await adminDo(() => api("DELETE", "/api/users/" + encodeURIComponent(u.name)), () => t("admin.user_removed", { name: u.name })))
        loadAdmin();
    } }, t("admin.remove"))))));
  const sel = $("token-user"), keep = sel.value;
  sel.replaceChildren(...r.users.map((u) => el("option", { value: u.name, text: u.name })));
  if (keep && r.users.some((u) => u.name === keep)) sel.value = keep;
}

// The row becomes a small form: the role and the groups (comma-separated),
// saved with PATCH /api/users/NAME (the groups given replace the user's).
function editUser(u, row) {
  const roleSel = el("select", { class: "edit-role", "aria-label": t("admin.role") },
    ...["member", "admin", "auditor"].map((r) => el("option", { value: r, selected: r === u.role }, word("role", r))));
  const groups = el("input", { class: "edit-groups", "aria-label": t("admin.groups"), value: u.groups.join(", ") });
  const cells = row.querySelectorAll("td");
  cells[1].replaceChildren(roleSel);
  cells[3].replaceChildren(groups);
  cells[4].replaceChildren(el("button", { type: "button", class: "primary save-user", onclick: async () => {
    const body = { role: roleSel.value, groups: groups.value.split(/[,\s、]+/).filter(Boolean) };
    if (await adminDo(() => api("PATCH", "/api/users/" + encodeURIComponent(u.name), body), () => t("admin.user_changed", { name: u.name })))
      loadAdmin();
  } }, t("admin.save")));
  roleSel.focus();
}

async function loadGroups() {
  const r = await api("GET", "/api/groups");
  $("groups-list").replaceChildren(...r.groups.map((g) => el("li", { class: "chip" },
    el("span", { text: `${g.name} (${g.users})` }),
    el("button", { type: "button", class: "chip-x", "aria-label": `${t("admin.remove")} ${g.name}`, onclick: async () => {
      if (!confirm(t("admin.confirm_rm", { name: g.name }))) return;
      if (await adminDo(() => api("DELETE", "/api/groups/" + encodeURIComponent(g.name)), () => t("admin.group_removed", { name: g.name })))
        loadAdmin();
    } }, "×"))));
}

function fmtDay(s) {
  return s ? new Date(s * 1000).toLocaleDateString(LANG === "ja" ? "ja-JP" : undefined) : t("admin.never");
}

async function loadTokens() {
  const r = await api("GET", "/api/tokens");
  $("tokens-body").replaceChildren(...r.tokens.map((k) => el("tr", { "data-token": String(k.id), class: k.revoked ? "revoked" : null },
    el("td", { class: "num", text: String(k.id) }), el("td", { text: k.user }), el("td", { text: k.label || "" }),
    el("td", { text: fmtDay(k.created) }), el("td", { text: fmtDay(k.expires) }),
    el("td", {}, k.revoked ? el("span", { class: "badge st-failed", text: t("admin.revoked") })
      : el("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm(t("admin.confirm_revoke", { id: k.id }))) return;
        if (await adminDo(() => api("DELETE", "/api/tokens/" + k.id), () => t("admin.token_revoked", { id: k.id })))
          loadTokens();
      } }, t("admin.revoke"))))));
}

async function loadProviders() {
  const r = await api("GET", "/api/providers");
  $("providers-body").replaceChildren(...r.providers.map((p) => {
    const reason = el("input", { class: "reason", "aria-label": t("admin.reason"), placeholder: t("admin.reason"), maxlength: "1024" });
    const base = `/api/providers/${encodeURIComponent(p.name)}/suspend`;
    return el("tr", { "data-provider": p.name },
      el("td", { text: p.name + (p.default ? " ★" : "") }), el("td", { text: p.kind }), el("td", { text: p.model || "" }),
      el("td", {}, p.suspended ? el("span", { class: "badge st-failed", text: `${t("admin.suspended")}: ${p.suspended}` })
        : el("span", { class: "badge st-ok", text: t("admin.active") })),
      el("td", { class: "actions" }, ...(p.suspended
        ? [el("button", { type: "button", class: "primary resume", onclick: async () => {
          if (await adminDo(() => api("DELETE", base), () => t("admin.resumed", { name: p.name }))) loadProviders();
        } }, t("admin.resume"))]
        : [reason, el("button", { type: "button", class: "danger suspend", onclick: async () => {
          if (!reason.value.trim()) { reason.focus(); adminSay(t("admin.need_reason"), true); return; }
          if (await adminDo(() => api("POST", base, { reason: reason.value.trim() }), () => t("admin.suspended_ok", { name: p.name })))
            loadProviders();
        } }, t("admin.suspend"))])));
  }));
}

// The tenant's metered use by user (GET /api/usage?by=user).
async function loadUsage() {
  const r = await api("GET", "/api/usage?by=user");
  $("usage-body").replaceChildren(...r.rows.map((u) => el("tr", {},
    el("td", { text: u.key }), el("td", { class: "num", text: String(u.requests) }), el("td", { class: "num", text: String(u.calls) }),
    el("td", { class: "num", text: String(u.prompt_tokens + u.completion_tokens) }), el("td", { class: "num", text: u.cost.toFixed(4) }))));
}

async function loadAdmin() {
  adminLoaded = true;
  await adminDo(() => Promise.all([loadUsers(), loadGroups(), loadTokens(), loadProviders(), loadUsage()]));
}

$("user-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = { name: $("user-name").value.trim(), role: $("user-role").value };
  const groups = $("user-groups").value.split(/[,\s、]+/).filter(Boolean);
  if (groups.length) body.groups = groups;
  if ($("user-tenant").value.trim()) body.tenant = $("user-tenant").value.trim();
  if ($("user-password").value) body.password = $("user-password").value;
  const r = await adminDo(() => api("POST", "/api/users", body), (u) => t("admin.user_added", { name: u.name, tenant: u.tenant }));
  if (r) {
    $("user-form").reset();
    loadAdmin();
  }
});

$("group-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await adminDo(() => api("POST", "/api/groups", { name: $("group-name").value.trim() }), (g) => t("admin.group_added", { name: g.name }));
  if (r) {
    $("group-form").reset();
    loadGroups();
  }
});

$("token-create-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = { user: $("token-user").value, days: Number($("token-days").value || 0) };
  if ($("token-label").value.trim()) body.label = $("token-label").value.trim();
  const r = await adminDo(() => api("POST", "/api/tokens", body), (k) => t("admin.token_made", { id: k.id, user: k.user }));
  if (r) {
    $("token-value").textContent = r.token;
    $("token-new").hidden = false;
    $("token-label").value = "";
    loadTokens();
  }
});

// ---- account -------------------------------------------------------------------
//
// One's own password (POST /api/me/password): the current one is checked,
// wrong ones count as failed log-ins (the server answers 429 past the
// limit), and the change is audited.

$("password-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const status = $("password-status");
  const cur = $("pw-current").value, neu = $("pw-new").value;
  status.classList.remove("error");
  if (neu !== $("pw-confirm").value) {
    status.textContent = t("account.mismatch");
    status.classList.add("error");
    return;
  }
  try {
    await api("POST", "/api/me/password", { current: cur, new: neu });
    $("password-form").reset();
    status.textContent = t("account.changed");
  } catch (err) {
    status.textContent = `${t("chat.error")}: ${err.message}`;
    status.classList.add("error");
  }
});

// ---- start -------------------------------------------------------------------

$("lang").addEventListener("change", (ev) => applyLang(ev.target.value, true));
document.addEventListener("langchange", () => {
  if (sourcesLoaded) {
    $("sources-status").textContent = t("sources.count", { n: sourcesCount });
    loadIngest();
  }
  if (agentsLoaded) loadAgents();
  if (adminLoaded && role === "admin") loadAdmin();
});
applyLang(LANG, false);
route();
whoAmI();
