// i18n.js — the interface's strings in English and Japanese. The language
// follows the browser (navigator.languages) until the user picks one, which
// is remembered (localStorage "cristal.lang").
"use strict";
const STRINGS = {
  en: {
    "tab.chat": "Chat", "tab.search": "Search", "tab.sources": "Sources", "tab.meetings": "Meetings",
    "meetings.scope": "Folder, document or search", "meetings.all": "every meeting", "meetings.show": "Show",
    "meetings.report": "Open the report", "meetings.actions": "Action items by owner", "meetings.owner": "Owner",
    "meetings.due": "Due", "meetings.task": "Task", "meetings.meeting": "Meeting", "meetings.decisions": "Decisions",
    "meetings.count": "{m} meetings, {a} action items, {d} decisions", "meetings.nodate": "no date", "lang.label": "Language",
    "chat.hint": "Ask a question about your documents. Answers cite their sources; click a citation to read the passage.",
    "chat.label": "Question", "chat.placeholder": "Ask a question…", "chat.send": "Ask",
    "chat.thinking": "Searching the documents…", "chat.sources": "Sources", "chat.unverified": "Removed citations",
    "chat.notfound": "Nothing in the documents answers this.", "chat.error": "Error",
    "chat.mode.extractive": "extractive answer (no model)", "chat.mode.model": "answered by",
    "search.query": "Search", "search.placeholder": "words, \"phrases\", prefix*", "search.type": "Type",
    "search.any": "Any", "search.path": "Path", "search.from": "From", "search.to": "To", "search.go": "Search",
    "search.none": "No results.", "search.count": "{n} results", "search.count1": "1 result", "search.score": "score",
    "sources.name": "Document", "sources.title": "Title", "sources.type": "Type", "sources.chunks": "Chunks",
    "sources.size": "Size", "sources.more": "More", "sources.count": "{n} documents",
    "upload.file": "Add a document", "upload.share": "Shared with", "upload.private": "Only me",
    "upload.tenant": "Everyone in my organisation", "upload.submit": "Upload", "upload.busy": "Uploading {name}…",
    "upload.added": "Added {name} ({n} chunks)", "upload.updated": "Updated {name} ({n} chunks)",
    "upload.unchanged": "{name} is already here, unchanged",
    "login.title": "Log in", "login.help": "Ask an administrator for one (cristal token create --user NAME).",
    "login.token": "Token", "login.save": "Use this token", "login.user": "User", "login.password": "Password",
    "login.submit": "Log in", "login.use_token": "Use an API token instead", "login.logout": "Log out",
    "login.failed": "Wrong user name or password.", "login.limited": "Too many failed log-ins. Try again in {n} s.",
    "login.expired": "Your session ended. Please log in again.",
    "viewer.close": "Close", "viewer.cited": "Cited passage", "viewer.loading": "Loading…",
    "loc.page": "page {v}", "loc.slide": "slide {v}", "loc.sheet": "sheet {v}", "loc.line": "line {v}",
    "loc.lines": "lines {a}–{b}", "loc.rows": "rows {a}–{b}", "loc.row": "row {v}", "loc.at": "at {v}",
    "tab.agents": "Agents", "tab.admin": "Admin",
    "agents.runs": "Recent runs", "agents.started": "Started", "agents.kind": "Kind", "agents.status": "Status",
    "agents.steps": "Steps", "agents.error": "Note", "agents.never": "never run", "agents.nsteps": "{n} steps",
    "agents.schedule": "Schedule", "agents.by_hand": "by hand", "agents.scope": "Scope", "agents.everything": "everything",
    "agents.tools": "Tools", "agents.last": "Last run", "agents.run": "Run now", "agents.show": "Runs",
    "agents.count": "{n} agents", "agents.one": "1 agent", "agents.none": "No agents yet (cristal agent create).",
    "agents.running": "Running {name}…", "agents.stop": "Stopped because", "agents.trace": "Steps ({n})",
    "run.ok": "answered", "run.failed": "failed", "run.stopped": "stopped", "run.running": "running",
    "kind.manual": "by hand", "kind.schedule": "scheduled", "kind.api": "from the web",
    "steps.tool": "Tool", "steps.args": "Arguments", "steps.result": "Result", "steps.time": "Time",
    "admin.users": "Users", "admin.name": "Name", "admin.role": "Role", "admin.groups": "Groups",
    "admin.groups_hint": "hr, eng", "admin.tenant": "Organisation", "admin.password": "Initial password",
    "admin.add_user": "Add user", "admin.add_group": "Add group", "admin.tokens": "API tokens", "admin.user": "User",
    "admin.label": "Label", "admin.days": "Expires after (days, 0: never)", "admin.create_token": "Create token",
    "admin.token_once": "Copy this token now: it is shown only once.", "admin.created": "Created", "admin.expires": "Expires",
    "admin.providers": "Model providers",
    "admin.providers_hint": "Suspending a provider stops every call to it at once, until it is resumed.",
    "admin.kind": "Kind", "admin.model": "Model", "admin.state": "State", "admin.remove": "Remove",
    "admin.revoke": "Revoke", "admin.revoked": "revoked", "admin.never": "never", "admin.reason": "Reason",
    "admin.suspend": "Suspend", "admin.resume": "Resume", "admin.suspended": "suspended", "admin.active": "active",
    "admin.need_reason": "Give a reason for the suspension.",
    "admin.confirm_rm": "Remove {name}?", "admin.confirm_revoke": "Revoke token {id}?",
    "admin.user_added": "Added {name} to {tenant}.", "admin.user_removed": "Removed {name}.",
    "admin.group_added": "Added group {name}.", "admin.group_removed": "Removed group {name}.",
    "admin.token_made": "Token {id} for {user} created.", "admin.token_revoked": "Revoked token {id}.",
    "admin.suspended_ok": "Suspended {name}.", "admin.resumed": "Resumed {name}.",
    "role.admin": "Administrator", "role.member": "Member", "role.auditor": "Auditor",
    "admin.usage": "Use by user", "admin.requests": "Requests", "admin.calls": "Model calls",
    "admin.tokens_used": "Tokens", "admin.cost": "Cost",
    "ingest.title": "Ingested folders", "ingest.name": "Source", "ingest.kind": "Kind", "ingest.docs": "Documents",
    "ingest.last": "Last ingest", "ingest.rejected": "Rejected", "ingest.none": "Nothing ingested yet.",
    "ingest.running": "Ingesting now: {names}", "ingest.idle": "No ingest running.",
    "ingest.nrejected": "{n} rejected", "kind.folder": "folder", "kind.file": "file", "kind.git": "git repository",
    "kind.chat": "chat export", "kind.jsonl": "JSON Lines",
    "run.done": "answered", "run.canceled": "canceled", "agents.cancel": "Cancel",
    "agents.canceling": "Canceling…", "agents.live": "Running {name}… steps so far: {n}",
    "account.title": "Account", "account.password": "Change my password", "account.current": "Current password",
    "account.new": "New password (8 characters or more)", "account.confirm": "New password again",
    "account.change": "Change password", "account.changed": "Your password is changed.",
    "account.mismatch": "The two new passwords differ.",
    "admin.edit": "Edit", "admin.save": "Save", "admin.user_changed": "Changed {name}.",
  },
  ja: {
    "tab.chat": "チャット", "tab.search": "検索", "tab.sources": "資料", "tab.meetings": "会議",
    "meetings.scope": "フォルダ・資料・検索語", "meetings.all": "すべての会議", "meetings.show": "表示",
    "meetings.report": "レポートを開く", "meetings.actions": "担当者別のアクション項目", "meetings.owner": "担当者",
    "meetings.due": "期限", "meetings.task": "作業", "meetings.meeting": "会議", "meetings.decisions": "決定事項",
    "meetings.count": "{m} 件の会議、アクション項目 {a} 件、決定事項 {d} 件", "meetings.nodate": "期限なし", "lang.label": "言語",
    "chat.hint": "資料について質問してください。回答には出典が付きます。出典をクリックすると該当箇所を表示します。",
    "chat.label": "質問", "chat.placeholder": "質問を入力…", "chat.send": "質問する",
    "chat.thinking": "資料を検索しています…", "chat.sources": "出典", "chat.unverified": "削除された引用",
    "chat.notfound": "資料にはこの質問に答える記述がありません。", "chat.error": "エラー",
    "chat.mode.extractive": "抽出型の回答（モデルなし）", "chat.mode.model": "回答モデル",
    "search.query": "検索語", "search.placeholder": "単語、\"フレーズ\"、前方一致*", "search.type": "種類",
    "search.any": "すべて", "search.path": "パス", "search.from": "開始日", "search.to": "終了日", "search.go": "検索",
    "search.none": "結果はありません。", "search.count": "{n} 件", "search.count1": "1 件", "search.score": "スコア",
    "sources.name": "資料", "sources.title": "タイトル", "sources.type": "種類", "sources.chunks": "チャンク",
    "sources.size": "サイズ", "sources.more": "さらに表示", "sources.count": "{n} 件の資料",
    "upload.file": "資料を追加", "upload.share": "共有範囲", "upload.private": "自分のみ",
    "upload.tenant": "組織の全員", "upload.submit": "アップロード", "upload.busy": "{name} をアップロード中…",
    "upload.added": "{name} を追加しました（{n} チャンク）", "upload.updated": "{name} を更新しました（{n} チャンク）",
    "upload.unchanged": "{name} は登録済みで、変更はありません",
    "login.title": "ログイン", "login.help": "管理者に発行を依頼してください（cristal token create --user NAME）。",
    "login.token": "トークン", "login.save": "このトークンを使う", "login.user": "ユーザー名", "login.password": "パスワード",
    "login.submit": "ログイン", "login.use_token": "API トークンを使う", "login.logout": "ログアウト",
    "login.failed": "ユーザー名またはパスワードが違います。", "login.limited": "ログインの失敗が多すぎます。{n} 秒後にもう一度お試しください。",
    "login.expired": "セッションが終了しました。もう一度ログインしてください。",
    "viewer.close": "閉じる", "viewer.cited": "引用箇所", "viewer.loading": "読み込み中…",
    "loc.page": "{v} ページ", "loc.slide": "スライド {v}", "loc.sheet": "シート {v}", "loc.line": "{v} 行目",
    "loc.lines": "{a}–{b} 行目", "loc.rows": "{a}–{b} 行", "loc.row": "{v} 行", "loc.at": "{v}",
    "tab.agents": "エージェント", "tab.admin": "管理",
    "agents.runs": "最近の実行", "agents.started": "開始", "agents.kind": "種別", "agents.status": "状態",
    "agents.steps": "ステップ", "agents.error": "備考", "agents.never": "未実行", "agents.nsteps": "{n} ステップ",
    "agents.schedule": "スケジュール", "agents.by_hand": "手動", "agents.scope": "範囲", "agents.everything": "すべて",
    "agents.tools": "ツール", "agents.last": "前回の実行", "agents.run": "今すぐ実行", "agents.show": "実行履歴",
    "agents.count": "{n} 件のエージェント", "agents.one": "1 件のエージェント", "agents.none": "エージェントはまだありません（cristal agent create）。",
    "agents.running": "{name} を実行しています…", "agents.stop": "停止理由", "agents.trace": "ステップ（{n}）",
    "run.ok": "回答済み", "run.failed": "失敗", "run.stopped": "停止", "run.running": "実行中",
    "kind.manual": "手動", "kind.schedule": "定期", "kind.api": "Web から",
    "steps.tool": "ツール", "steps.args": "引数", "steps.result": "結果", "steps.time": "時間",
    "admin.users": "ユーザー", "admin.name": "名前", "admin.role": "役割", "admin.groups": "グループ",
    "admin.groups_hint": "hr, eng", "admin.tenant": "組織", "admin.password": "初期パスワード",
    "admin.add_user": "ユーザーを追加", "admin.add_group": "グループを追加", "admin.tokens": "API トークン", "admin.user": "ユーザー",
    "admin.label": "ラベル", "admin.days": "有効期間（日数、0 は無期限）", "admin.create_token": "トークンを発行",
    "admin.token_once": "このトークンは一度しか表示されません。今すぐコピーしてください。", "admin.created": "発行日", "admin.expires": "有効期限",
    "admin.providers": "モデルプロバイダー",
    "admin.providers_hint": "プロバイダーを停止すると、再開するまでそのプロバイダーへの呼び出しはすべて止まります。",
    "admin.kind": "種類", "admin.model": "モデル", "admin.state": "状態", "admin.remove": "削除",
    "admin.revoke": "失効", "admin.revoked": "失効済み", "admin.never": "なし", "admin.reason": "理由",
    "admin.suspend": "停止", "admin.resume": "再開", "admin.suspended": "停止中", "admin.active": "稼働中",
    "admin.need_reason": "停止の理由を入力してください。",
    "admin.confirm_rm": "{name} を削除しますか？", "admin.confirm_revoke": "トークン {id} を失効させますか？",
    "admin.user_added": "{name} を {tenant} に追加しました。", "admin.user_removed": "{name} を削除しました。",
    "admin.group_added": "グループ {name} を追加しました。", "admin.group_removed": "グループ {name} を削除しました。",
    "admin.token_made": "{user} のトークン {id} を発行しました。", "admin.token_revoked": "トークン {id} を失効させました。",
    "admin.suspended_ok": "{name} を停止しました。", "admin.resumed": "{name} を再開しました。",
    "role.admin": "管理者", "role.member": "メンバー", "role.auditor": "監査者",
    "admin.usage": "ユーザー別の利用状況", "admin.requests": "リクエスト", "admin.calls": "モデル呼び出し",
    "admin.tokens_used": "トークン", "admin.cost": "費用",
    "ingest.title": "取り込んだフォルダー", "ingest.name": "ソース", "ingest.kind": "種類", "ingest.docs": "資料数",
    "ingest.last": "最終取り込み", "ingest.rejected": "取り込めなかったファイル", "ingest.none": "まだ何も取り込まれていません。",
    "ingest.running": "取り込み中: {names}", "ingest.idle": "実行中の取り込みはありません。",
    "ingest.nrejected": "{n} 件", "kind.folder": "フォルダー", "kind.file": "ファイル", "kind.git": "git リポジトリ",
    "kind.chat": "チャットのエクスポート", "kind.jsonl": "JSON Lines",
    "run.done": "回答済み", "run.canceled": "キャンセル", "agents.cancel": "キャンセル",
    "agents.canceling": "キャンセルしています…", "agents.live": "{name} を実行中: これまでに {n} ステップ…",
    "account.title": "アカウント", "account.password": "パスワードの変更", "account.current": "現在のパスワード",
    "account.new": "新しいパスワード (8 文字以上)", "account.confirm": "新しいパスワード (確認)",
    "account.change": "パスワードを変更", "account.changed": "パスワードを変更しました。",
    "account.mismatch": "新しいパスワードが一致しません。",
    "admin.edit": "編集", "admin.save": "保存", "admin.user_changed": "{name} を変更しました。",
  },
};

function pickLang() {
  const saved = localStorage.getItem("cristal.lang");
  if (saved && STRINGS[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (STRINGS[base]) return base;
  }
  return "en";
}

let LANG = pickLang();

function t(key, vars) {
  let s = (STRINGS[LANG] && STRINGS[LANG][key]) || STRINGS.en[key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll("{" + k + "}", String(v));
  return s;
}

function applyLang(lang, remember) {
  if (!STRINGS[lang]) return;
  LANG = lang;
  if (remember) localStorage.setItem("cristal.lang", lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  const sel = document.getElementById("lang");
  if (sel) sel.value = lang;
  document.dispatchEvent(new CustomEvent("langchange"));
}
