/* file.c — whole-file reads, atomic writes, mkdir -p, read-only mmap. */
#include "cristal/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

cr_err cr_file_read(const char *path, size_t max, uint8_t **out, size_t *len, cr_msg *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(m, errno == ENOENT ? CR_ENOTFOUND : errno == EACCES ? CR_EDENIED : CR_EIO,
			       "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cr_fail(m, CR_EIO, "%s: not a regular file", path);
	}
	if (max && (uint64_t)st.st_size > max) {
		close(fd);
		return cr_fail(m, CR_ETOOBIG, "%s: %lld bytes, over the limit of %zu", path,
			       (long long)st.st_size, max);
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *p = cr_malloc(n + 1);
	if (!p) {
		close(fd);
		return cr_fail(m, CR_ENOMEM, "%s: cannot allocate %zu bytes", path, n);
	}
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int en = errno;
			cr_free(p);
			close(fd);
			return cr_fail(m, en == EISDIR ? CR_EINVAL : CR_EIO, "%s: %s", path, strerror(en));
		}
		if (r == 0)
			break; /* file shrank under us */
		got += (size_t)r;
	}
	close(fd);
	p[got] = 0;
	*out = p;
	*len = got;
	return CR_OK;
}

/*
 * The temporary file is named by pid, thread id and a process-wide counter
 * and created with O_EXCL, so threads (and processes) writing the same path
 * at once never share one; the last rename wins, each file whole. A name
 * left by a crashed process whose pid came back is skipped.
 */
static _Atomic unsigned long tmp_counter;

cr_err cr_file_write_atomic(const char *path, const void *p, size_t n, cr_msg *m)
{
	size_t pl = strlen(path);
	char *tmp = cr_malloc(pl + 80);
	if (!tmp)
		return CR_ENOMEM;
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		snprintf(tmp, pl + 80, "%s.tmp.%ld.%ld.%lu", path, (long)getpid(), (long)syscall(SYS_gettid),
			 atomic_fetch_add(&tmp_counter, 1));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		cr_err e = cr_fail(m, CR_EIO, "%s: %s", tmp, strerror(errno));
		cr_free(tmp);
		return e;
	}
	const char *c = p;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, c + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	if (rename(tmp, path) < 0) {
		cr_err e = cr_fail(m, CR_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		cr_free(tmp);
		return e;
	}
	cr_free(tmp);
	return CR_OK;
fail:;
	cr_err e = cr_fail(m, CR_EIO, "%s: %s", tmp, strerror(errno));
	close(fd);
	unlink(tmp);
	cr_free(tmp);
	return e;
}

cr_err cr_mkdirs(const char *path, cr_msg *m)
{
	char *p = cr_strdup(path);
	if (!p)
		return CR_ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				cr_err e = cr_fail(m, CR_EIO, "mkdir %s: %s", p, strerror(errno));
				cr_free(p);
				return e;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	cr_free(p);
	return CR_OK;
}

cr_err cr_mmap_open(cr_mmap *mm, const char *path, cr_msg *m)
{
	mm->data = NULL;
	mm->len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(m, errno == ENOENT ? CR_ENOTFOUND : CR_EIO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cr_fail(m, CR_EIO, "%s: not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		static const uint8_t none[1];
		mm->data = none;
		return CR_OK;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return cr_fail(m, CR_EIO, "mmap %s: %s", path, strerror(errno));
	mm->data = p;
	mm->len = (size_t)st.st_size;
	return CR_OK;
}

void cr_mmap_close(cr_mmap *mm)
{
	if (mm->len)
		munmap((void *)mm->data, mm->len);
	mm->data = NULL;
	mm->len = 0;
}
