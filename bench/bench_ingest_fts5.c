/*
 * bench_ingest_fts5.c — the peer of `cristal ingest` in scripts/bench-ingest.sh:
 * SQLite FTS5 given the same documents, timed as a whole process like ours.
 *
 *   bench_ingest_fts5 DB --jsonl FILE   one document per line, {"_id", "title", "text"}
 *                                       parsed with jansson (as ours is)
 *   bench_ingest_fts5 DB --dir DIR      every regular file under DIR, read whole;
 *                                       title = the first line, body = the rest
 *
 * DB is created afresh: WAL, synchronous=NORMAL, one table
 * fts5(name UNINDEXED, title, body, tokenize='porter unicode61'), so FTS5
 * also keeps the text and names (its content table is its catalog). All
 * documents go in one transaction (FTS5's fastest way), then 'optimize'
 * merges the index into one b-tree and the WAL is checkpointed. Prints the
 * document count and text bytes on stdout.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static sqlite3 *db;
static sqlite3_stmt *ins;
static long n_docs;
static double n_bytes;

static int add(const char *name, size_t nl, const char *title, size_t tl, const char *body, size_t bl)
{
	sqlite3_bind_text(ins, 1, name, (int)nl, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, title, (int)tl, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, body, (int)bl, SQLITE_STATIC);
	int rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "fts5: insert: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	n_docs++;
	n_bytes += (double)(tl + bl);
	return 0;
}

static int from_jsonl(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return -1;
	}
	const char *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror(path);
		return -1;
	}
	const char *end = p + st.st_size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le > p) {
			json_error_t err;
			json_t *o = json_loadb(p, (size_t)(le - p), 0, &err);
			json_t *id = json_object_get(o, "_id"), *t = json_object_get(o, "title"),
			       *b = json_object_get(o, "text");
			if (!json_is_string(id) || !json_is_string(b)) {
				fprintf(stderr, "fts5: bad line\n");
				return -1;
			}
			int rc = add(json_string_value(id), json_string_length(id), json_is_string(t) ? json_string_value(t) : "",
				     json_is_string(t) ? json_string_length(t) : 0, json_string_value(b),
				     json_string_length(b));
			json_decref(o);
			if (rc)
				return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static char *buf;
static size_t cap;

static int from_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = from_dir(path);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if ((size_t)st.st_size + 1 > cap) {
			cap = (size_t)st.st_size * 2 + 1;
			buf = realloc(buf, cap);
		}
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, (size_t)st.st_size);
		if (fd >= 0)
			close(fd);
		if (n < 0)
			continue;
		const char *nl = memchr(buf, '\n', (size_t)n);
		size_t tl = nl ? (size_t)(nl - buf) : 0;
		const char *body = nl ? nl + 1 : buf;
		rc = add(path, strlen(path), buf, tl, body, (size_t)(buf + n - body));
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[2], "--jsonl") && strcmp(argv[2], "--dir"))) {
		fprintf(stderr, "usage: bench_ingest_fts5 DB (--jsonl FILE | --dir DIR)\n");
		return 2;
	}
	char wal[4200], shm[4200];
	snprintf(wal, sizeof wal, "%s-wal", argv[1]);
	snprintf(shm, sizeof shm, "%s-shm", argv[1]);
	unlink(argv[1]);
	unlink(wal);
	unlink(shm);
	char *err = NULL;
	if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE VIRTUAL TABLE docs USING fts5(name UNINDEXED, title, body,"
			 " tokenize='porter unicode61');"
			 "BEGIN;",
			 NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO docs(name, title, body) VALUES (?, ?, ?)", -1, &ins, NULL) !=
		    SQLITE_OK) {
		fprintf(stderr, "fts5: %s\n", err ? err : sqlite3_errmsg(db));
		return 1;
	}
	int rc = !strcmp(argv[2], "--jsonl") ? from_jsonl(argv[3]) : from_dir(argv[3]);
	sqlite3_finalize(ins);
	if (rc || sqlite3_exec(db,
			       "COMMIT; INSERT INTO docs(docs) VALUES('optimize');"
			       " PRAGMA wal_checkpoint(TRUNCATE);",
			       NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "fts5: %s\n", err ? err : "failed");
		return 1;
	}
	sqlite3_close(db);
	free(buf);
	printf("%ld documents, %.1f MB of text\n", n_docs, n_bytes / 1e6);
	return 0;
}
