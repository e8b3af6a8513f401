/*
 * model.c — cr_store_model_resolve: what --model NAME|PATH (or a request's
 * "model") designates. A path is taken as given; anything else is a name in
 * the catalog's model registry (cristal model add).
 */
#include "store_int.h"

#include <string.h>
#include <sys/stat.h>

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

cr_err cr_store_model_resolve(cr_store *s, cr_arena *a, const char *name_or_path, const char **path, cr_msg *m)
{
	*path = NULL;
	if (!name_or_path || !*name_or_path)
		return cr_fail(m, CR_EINVAL, "no model named (a registered name or a path is required)");
	if (strchr(name_or_path, '/') || is_file(name_or_path)) {
		*path = name_or_path;
		return CR_OK;
	}
	if (!s)
		return cr_fail(m, CR_ENOTFOUND, "no model named '%s' and no such file", name_or_path);
	cr_model_row row = {0};
	cr_err e = cr_store_model_get(s, a, name_or_path, &row, m);
	if (e == CR_ENOTFOUND)
		return cr_fail(m, e, "no model named '%s' (see cristal model list) and no such file", name_or_path);
	if (e)
		return e;
	*path = row.path;
	return CR_OK;
}
