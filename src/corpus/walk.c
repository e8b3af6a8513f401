/*
 * walk.c — from the roots given to `cristal ingest` to a flat list of files
 * to consider, each with its document name, size and mtime, plus the list
 * of what was refused and why.
 *
 * Naming: a file's document name is its path relative to the ingested root,
 * prefixed with the root's base name, so `ingest samples` yields
 * "samples/docs/handbook.md" and two roots never collide. A root that is a
 * single file is named by its base name.
 *
 * Rules: hidden entries (".git", ".env", ...) are skipped silently.
 * Symbolic links are followed; directories are remembered by (device,
 * inode). A link to a folder is walked after the root's real folders, so a
 * folder reached both ways is named by its real path, and a link to a
 * folder already walked elsewhere (a duplicate) is skipped quietly: nothing
 * is missing, so it is no rejection. A link to one of its own ancestors is
 * a loop, and said so. Broken links, unreadable directories
 * and special files (FIFOs, sockets, devices: opening one could block) are
 * rejected with a reason; the documents of a folder that cannot be listed
 * are kept (w->unlisted), not mistaken for deleted files. A directory holding .git is a repository: only
 * its tracked files at HEAD are taken (cr_git_ls_files) and its commit log
 * is ingested later (ingest.c). A Slack-style export's top-level JSON files
 * (users.json, channels.json) describe the export and are not documents.
 * The data directory itself is never walked (cr_walk_exclude).
 * Entries are sorted by name, so runs are reproducible.
 */
#include "corpus_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 64

void cr_walk_init(cr_walk *w)
{
	memset(w, 0, sizeof *w);
	cr_arena_init(&w->a, 0);
}

void cr_walk_release(cr_walk *w)
{
	cr_free(w->files);
	cr_free(w->rejects);
	cr_free(w->repos);
	cr_free(w->seen);
	cr_free(w->unlisted);
	cr_free(w->links);
	cr_arena_release(&w->a);
	memset(w, 0, sizeof *w);
}

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	void *q = cr_realloc(*p, nc * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

static cr_err reject(cr_walk *w, const char *name, const char *reason)
{
	if (grow((void **)&w->rejects, &w->cap_rejects, w->n_rejects, sizeof *w->rejects))
		return CR_ENOMEM;
	cr_walk_reject *r = &w->rejects[w->n_rejects];
	r->name = cr_arena_strdup(&w->a, name);
	r->reason = cr_arena_strdup(&w->a, reason);
	if (!r->name || !r->reason)
		return CR_ENOMEM;
	w->n_rejects++;
	return CR_OK;
}

static cr_err add_file(cr_walk *w, const char *path, const char *name, const struct stat *st, int64_t src)
{
	if (grow((void **)&w->files, &w->cap_files, w->n_files, sizeof *w->files))
		return CR_ENOMEM;
	cr_walk_file *f = &w->files[w->n_files];
	f->path = cr_arena_strdup(&w->a, path);
	f->name = cr_arena_strdup(&w->a, name);
	if (!f->path || !f->name)
		return CR_ENOMEM;
	f->size = (int64_t)st->st_size;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	f->source_id = src;
	f->chat_dir = NULL;
	f->uid = (uint32_t)st->st_uid;
	f->gid = (uint32_t)st->st_gid;
	w->n_files++;
	return CR_OK;
}

/* Remembers a directory; returns 1 if it was already seen. */
static int seen_dir(cr_walk *w, const struct stat *st, cr_err *e)
{
	*e = CR_OK;
	for (size_t i = 0; i < w->n_seen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return 1;
	if (grow((void **)&w->seen, &w->cap_seen, w->n_seen, sizeof *w->seen)) {
		*e = CR_ENOMEM;
		return 0;
	}
	w->seen[w->n_seen].dev = st->st_dev;
	w->seen[w->n_seen].ino = st->st_ino;
	w->n_seen++;
	return 0;
}

static const char *special_kind(mode_t mode)
{
	return S_ISFIFO(mode)  ? "a FIFO"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISCHR(mode)  ? "a character device"
	       : S_ISBLK(mode)  ? "a block device"
				: "not a regular file";
}

static int hidden_path(const char *rel)
{
	for (const char *p = rel; *p; p++)
		if (*p == '.' && (p == rel || p[-1] == '/'))
			return 1;
	return 0;
}

static cr_err walk_dir(cr_walk *w, const char *path, const char *name, int depth, const char *chat, int64_t src);

static cr_err walk_repo(cr_walk *w, const char *path, const char *name, int64_t src)
{
	char **paths = NULL;
	size_t n = 0;
	cr_msg m2 = {{0}};
	cr_err e = cr_git_ls_files(&w->a, path, &paths, &n, &m2);
	if (e == CR_ENOMEM)
		return e;
	if (e) {
		/* No usable git: take the work tree as a plain folder. */
		cr_log(CR_LOG_WARN, "%s: git listing failed (%s); walking the folder", name, m2.text);
		return walk_dir(w, path, name, 1, NULL, src);
	}
	if (grow((void **)&w->repos, &w->cap_repos, w->n_repos, sizeof *w->repos))
		return CR_ENOMEM;
	cr_walk_repo *r = &w->repos[w->n_repos];
	r->path = cr_arena_strdup(&w->a, path);
	r->name = cr_arena_strdup(&w->a, name);
	r->source_id = src;
	if (!r->path || !r->name)
		return CR_ENOMEM;
	w->n_repos++;
	for (size_t i = 0; i < n && !e; i++) {
		if (!paths[i] || !*paths[i] || hidden_path(paths[i]))
			continue;
		char *full = cr_arena_printf(&w->a, "%s/%s", path, paths[i]);
		char *nm = cr_arena_printf(&w->a, "%s/%s", name, paths[i]);
		if (!full || !nm)
			return CR_ENOMEM;
		struct stat st;
		if (stat(full, &st) < 0) {
			struct stat lst;
			e = reject(w, nm, lstat(full, &lst) == 0 && S_ISLNK(lst.st_mode) ? "broken symbolic link"
										 : strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			continue; /* a submodule or a link to a folder: not a tracked file */
		e = S_ISREG(st.st_mode) ? add_file(w, full, nm, &st, src) : reject(w, nm, special_kind(st.st_mode));
	}
	return e;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcmp(s + n - k, suf);
}

static cr_err walk_dir(cr_walk *w, const char *path, const char *name, int depth, const char *chat, int64_t src)
{
	int chat_top = chat && !strcmp(chat, path);
	DIR *d = opendir(path);
	if (!d) {
		/* What was ingested from here before is kept, not swept. */
		if (grow((void **)&w->unlisted, &w->cap_unlisted, w->n_unlisted, sizeof *w->unlisted) ||
		    !(w->unlisted[w->n_unlisted++] = cr_arena_strdup(&w->a, name)))
			return CR_ENOMEM;
		return reject(w, name, strerror(errno));
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	cr_err e = CR_OK;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* ".", "..", ".git" and every hidden entry */
		if (grow((void **)&names, &cap, n, sizeof *names)) {
			e = CR_ENOMEM;
			break;
		}
		if (!(names[n++] = cr_arena_strdup(&w->a, de->d_name))) {
			e = CR_ENOMEM;
			break;
		}
	}
	closedir(d);
	if (!e && n) /* an empty folder lists nothing: qsort must not see NULL */
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && !e; i++) {
		char *full = cr_arena_printf(&w->a, "%s/%s", path, names[i]);
		char *nm = cr_arena_printf(&w->a, "%s/%s", name, names[i]);
		if (!full || !nm) {
			e = CR_ENOMEM;
			break;
		}
		struct stat st, lst;
		if (stat(full, &st) < 0) {
			int en = errno;
			if (lstat(full, &lst) == 0 && S_ISLNK(lst.st_mode))
				e = reject(w, nm, en == ELOOP ? "symbolic link loop" : "broken symbolic link");
			else
				e = reject(w, nm, strerror(en));
			continue;
		}
		if (S_ISDIR(st.st_mode) && lstat(full, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			/* later, once the real folders are known */
			if (grow((void **)&w->links, &w->cap_links, w->n_links, sizeof *w->links)) {
				e = CR_ENOMEM;
				break;
			}
			w->links[w->n_links++] = (struct cr_walk_link){full, nm, chat, depth + 1};
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (seen_dir(w, &st, &e))
				continue; /* reached twice (a bind mount): already walked */
			if (e)
				break;
			if (depth + 1 >= MAX_DEPTH)
				e = reject(w, nm, "folders nested too deeply");
			else if (cr_git_is_repo(full))
				e = walk_repo(w, full, nm, src);
			else if (!chat && cr_chat_is_export(full))
				e = walk_dir(w, full, nm, depth + 1, full, src);
			else
				e = walk_dir(w, full, nm, depth + 1, chat, src);
		} else if (S_ISREG(st.st_mode)) {
			if (chat_top && ends_with(names[i], ".json"))
				continue; /* users.json, channels.json: the export's own metadata */
			e = add_file(w, full, nm, &st, src);
			if (!e)
				w->files[w->n_files - 1].chat_dir = chat;
		} else {
			e = reject(w, nm, special_kind(st.st_mode));
		}
	}
	cr_free(names);
	return e;
}

/* Whether the link at `path` points to a folder that contains it. */
static int link_loops(const char *path)
{
	char *target = realpath(path, NULL);
	char *dir = cr_strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	char *parent = NULL;
	if (slash) {
		*slash = 0;
		parent = realpath(*dir ? dir : "/", NULL);
	}
	size_t tl = target ? strlen(target) : 0;
	int loop = target && parent && !strncmp(parent, target, tl) &&
		   (parent[tl] == 0 || parent[tl] == '/' || (tl == 1 && target[0] == '/'));
	free(target);
	free(parent);
	cr_free(dir);
	return loop;
}

cr_err cr_walk_exclude(cr_walk *w, const char *dir)
{
	struct stat st;
	cr_err e = CR_OK;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		seen_dir(w, &st, &e);
	return e;
}

cr_err cr_walk_root(cr_walk *w, const char *root, const char *base, int64_t source_id, cr_msg *m)
{
	struct stat st;
	cr_err e;
	if (stat(root, &st) < 0)
		e = reject(w, base, strerror(errno));
	else if (S_ISREG(st.st_mode))
		e = add_file(w, root, base, &st, source_id);
	else if (!S_ISDIR(st.st_mode))
		e = reject(w, base, special_kind(st.st_mode));
	else if (seen_dir(w, &st, &e))
		e = e ? e : reject(w, base, "folder given twice");
	else if (cr_git_is_repo(root))
		e = walk_repo(w, root, base, source_id);
	else
		e = walk_dir(w, root, base, 0, cr_chat_is_export(root) ? cr_arena_strdup(&w->a, root) : NULL, source_id);
	/* then the links to folders (walking one may find more) */
	for (size_t i = 0; !e && i < w->n_links; i++) {
		struct cr_walk_link l = w->links[i];
		if (stat(l.path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (seen_dir(w, &st, &e)) {
			if (link_loops(l.path))
				e = reject(w, l.name, "symbolic link loop (it points to a folder that contains it)");
			else
				cr_log(CR_LOG_INFO, "%s: a link to a folder already walked: skipped", l.name);
			continue;
		}
		if (e)
			break;
		if (l.depth >= MAX_DEPTH)
			e = reject(w, l.name, "folders nested too deeply");
		else if (cr_git_is_repo(l.path))
			e = walk_repo(w, l.path, l.name, source_id);
		else if (!l.chat && cr_chat_is_export(l.path))
			e = walk_dir(w, l.path, l.name, l.depth, l.path, source_id);
		else
			e = walk_dir(w, l.path, l.name, l.depth, l.chat, source_id);
	}
	w->n_links = 0;
	if (e)
		return cr_fail(m, e, "%s: %s while listing files", root, cr_strerror(e));
	return CR_OK;
}
