/*
 * formats_b_pending.c — temporary stand-ins for the extractors of chat,
 * code and git (chat.c, code.c, git.c), so the module links while they are written. Each returns
 * CR_EUNSUPPORTED. Delete each stub here as its real function lands, and
 * this file when it is empty.
 */
#include "ingest/ingest_int.h"

static cr_err pending(cr_msg *m, const char *what)
{
	return cr_fail(m, CR_EUNSUPPORTED, "%s: extractor not built yet", what);
}

/* chat.c */
cr_err cr_x_chat(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "chat"); }
int cr_chat_is_export(const char *dir) { return 0; }
cr_err cr_chat_load_users(cr_arena *a, const char *dir, cr_kv **users, size_t *n, cr_msg *m)
{
	return pending(m, "chat");
}
/* code.c */
cr_err cr_x_code(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "code"); }
const char *cr_code_lang(const char *name) { return NULL; }
/* git.c */
int cr_git_is_repo(const char *dir) { return 0; }
cr_err cr_git_ls_files(cr_arena *a, const char *dir, char ***paths, size_t *n, cr_msg *m)
{
	return pending(m, "git");
}
cr_err cr_git_log_docs(cr_arena *a, const char *dir, const char *repo_name, size_t max_commits, cr_doc **out,
		       cr_msg *m)
{
	return pending(m, "git");
}
