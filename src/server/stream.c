/*
 * stream.c — server-sent events: a job on a thread of its own writes
 * events into a buffer; libmicrohttpd's content reader hands them to the
 * client, and suspends the connection while the buffer is empty, so a
 * waiting stream costs no request thread. The job resumes it when it
 * writes.
 *
 * Ending: the job returning ends the stream (after the buffer drains). A
 * client that goes away completes the request with an error (the write
 * failed) or, while the connection is suspended (libmicrohttpd does not
 * watch it then), is seen hanging up by the server's watchdog
 * (srv_streams_watch, every 200 ms, polls the socket); either way the
 * job's cr_cancel is requested and its library call stops.
 *
 * Lifetime: three references (the response, the request, the job's
 * thread); the last one frees the stream. Locks: the server's mutex before
 * a stream's, never the other way round.
 */
#define _GNU_SOURCE
#include "server_int.h"

#include <poll.h>
#include <string.h>

#define STREAM_BUF_MAX (8u << 20) /* bytes a client may fall behind before it is cut */

cr_err srv_ctx_copy(cr_arena *a, const srv_ctx *in, srv_ctx *out)
{
	*out = *in;
	if (in->user && !(out->user = cr_arena_strdup(a, in->user)))
		return CR_ENOMEM;
	if (in->role && !(out->role = cr_arena_strdup(a, in->role)))
		return CR_ENOMEM;
	if (in->tenant_name && !(out->tenant_name = cr_arena_strdup(a, in->tenant_name)))
		return CR_ENOMEM;
	if (in->via && !(out->via = cr_arena_strdup(a, in->via)))
		return CR_ENOMEM;
	if (in->n_groups && !(out->groups = cr_arena_memdup(a, in->groups, in->n_groups * sizeof *in->groups)))
		return CR_ENOMEM;
	if (in->who) {
		cr_principal *w = cr_arena_memdup(a, in->who, sizeof *in->who);
		if (!w)
			return CR_ENOMEM;
		if (w->n_groups && !(w->groups = cr_arena_memdup(a, in->who->groups, w->n_groups * sizeof *w->groups)))
			return CR_ENOMEM;
		out->who = w;
	}
	return CR_OK;
}

srv_stream *srv_stream_new(srv_req *r)
{
	cr_server *s = r->s;
	pthread_mutex_lock(&s->mu);
	int full = s->n_streams >= s->cfg.max_streams || atomic_load(&s->stopping);
	if (!full)
		s->n_streams++;
	pthread_mutex_unlock(&s->mu);
	if (full) {
		CR_IGNORE(srv_error(r, 503, NULL, "too many open streams (%d); try again later", s->cfg.max_streams));
		return NULL;
	}
	srv_stream *st = cr_calloc(1, sizeof *st);
	if (!st) {
		pthread_mutex_lock(&s->mu);
		s->n_streams--;
		pthread_mutex_unlock(&s->mu);
		CR_IGNORE(srv_error(r, 500, NULL, "out of memory"));
		return NULL;
	}
	st->s = s;
	st->fd = -1;
	pthread_mutex_init(&st->mu, NULL);
	cr_buf_init(&st->out, STREAM_BUF_MAX);
	cr_cancel_init(&st->cancel);
	cr_arena_init(&st->arena, 0);
	st->refs = 1; /* the handler's, until start */
	pthread_mutex_lock(&s->mu);
	st->next = s->streams;
	if (s->streams)
		s->streams->prev = st;
	s->streams = st;
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add(&s->open_streams, 1);
	return st;
}

static void stream_free(srv_stream *st)
{
	cr_server *s = st->s;
	pthread_mutex_lock(&s->mu);
	if (st->prev)
		st->prev->next = st->next;
	else
		s->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	s->n_streams--;
	/* the last touch of s: once n_streams is seen at zero, shutdown may
	 * free the server (cr_server_free after wait_streams) */
	atomic_fetch_sub(&s->open_streams, 1);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	cr_buf_release(&st->out);
	cr_arena_release(&st->arena);
	pthread_mutex_destroy(&st->mu);
	cr_free(st);
}

void srv_stream_unref(srv_stream *st)
{
	pthread_mutex_lock(&st->mu);
	int last = --st->refs == 0;
	pthread_mutex_unlock(&st->mu);
	if (last)
		stream_free(st);
}

void srv_stream_drop(srv_stream *st) { srv_stream_unref(st); }

/* Called with st->mu held. */
static void wake(srv_stream *st)
{
	if (st->suspended && st->conn) {
		st->suspended = 0;
		MHD_resume_connection(st->conn);
	}
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	srv_stream *st = cls;
	pthread_mutex_lock(&st->mu);
	ssize_t n;
	if (st->off < st->out.len && !st->gone) {
		size_t k = CR_MIN(max, st->out.len - st->off);
		memcpy(buf, st->out.data + st->off, k);
		st->off += k;
		if (st->off == st->out.len) {
			cr_buf_reset(&st->out);
			st->off = 0;
		}
		n = (ssize_t)k;
	} else if (st->gone) {
		n = MHD_CONTENT_READER_END_WITH_ERROR; /* hung up, or cut for reading too slowly */
	} else if (st->done) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		st->suspended = 1;
		MHD_suspend_connection(st->conn);
		n = 0;
	}
	pthread_mutex_unlock(&st->mu);
	return n;
}

static void response_gone(void *cls) { srv_stream_unref(cls); }

int srv_stream_write(srv_stream *st, const char *p, size_t n)
{
	pthread_mutex_lock(&st->mu);
	int was_gone = st->gone;
	if (!was_gone && cr_buf_add(&st->out, p, n)) {
		/* the client reads slower than we write: cut it */
		st->gone = 1;
		cr_cancel_request(&st->cancel);
	}
	if (!was_gone)
		wake(st);
	int stop = st->gone;
	pthread_mutex_unlock(&st->mu);
	return stop || cr_cancel_check(&st->cancel) != CR_OK;
}

int srv_stream_event(srv_stream *st, const char *ev, const char *data, size_t n)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = ev ? cr_buf_printf(&b, "event: %s\n", ev) : CR_OK;
	if (!e)
		e = cr_buf_adds(&b, "data: ");
	if (!e)
		e = cr_buf_add(&b, data, n);
	if (!e)
		e = cr_buf_adds(&b, "\n\n");
	int stop = e ? 1 : srv_stream_write(st, b.data, b.len);
	cr_buf_release(&b);
	return stop;
}

void srv_stream_client_gone(srv_stream *st)
{
	pthread_mutex_lock(&st->mu);
	st->gone = 1;
	st->conn = NULL;
	pthread_mutex_unlock(&st->mu);
	cr_cancel_request(&st->cancel);
}

static void *job_main(void *arg)
{
	srv_stream *st = arg;
	st->fn(st, st->job);
	pthread_mutex_lock(&st->mu);
	st->done = 1;
	wake(st);
	pthread_mutex_unlock(&st->mu);
	srv_stream_unref(st);
	return NULL;
}

enum MHD_Result srv_stream_start(srv_req *r, srv_stream *st, srv_stream_fn fn, void *job)
{
	st->fn = fn;
	st->job = job;
	st->conn = r->conn;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	st->fd = ci ? ci->connect_fd : -1;
	struct MHD_Response *res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 << 10, reader, st, response_gone);
	if (!res) {
		srv_stream_drop(st);
		return srv_error(r, 500, NULL, "out of memory");
	}
	MHD_add_response_header(res, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-cache");
	MHD_add_response_header(res, "X-Accel-Buffering", "no");
	/* references: the handler's becomes the response's; one for the
	 * request (completion), one for the job's thread */
	st->refs = 3;
	r->stream = st;
	r->status = 200;
	enum MHD_Result ok = MHD_queue_response(r->conn, 200, res);
	MHD_destroy_response(res); /* the connection keeps it; response_gone drops its reference */
	if (ok != MHD_YES) {
		/* the connection is dying: the completion drops the request's
		 * reference, and the job never runs */
		pthread_mutex_lock(&st->mu);
		st->done = 1;
		pthread_mutex_unlock(&st->mu);
		srv_stream_unref(st);
		return ok;
	}
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, job_main, st)) {
		static const char err[] = "event: error\ndata: {\"error\":{\"code\":\"internal_error\","
					  "\"message\":\"cannot start a thread\"}}\n\n";
		CR_IGNORE(srv_stream_write(st, err, sizeof err - 1));
		pthread_mutex_lock(&st->mu);
		st->done = 1;
		wake(st);
		pthread_mutex_unlock(&st->mu);
		srv_stream_unref(st);
	}
	pthread_attr_destroy(&at);
	return ok;
}

void srv_streams_watch(cr_server *s)
{
	pthread_mutex_lock(&s->mu);
	for (srv_stream *st = s->streams; st; st = st->next) {
		pthread_mutex_lock(&st->mu);
		if (st->suspended && st->conn && st->fd >= 0 && !st->gone) {
			struct pollfd p = {.fd = st->fd, .events = POLLRDHUP};
			if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				st->gone = 1;
				cr_cancel_request(&st->cancel);
				/* resumed, the connection writes what is left and
				 * fails, which completes the request */
				wake(st);
			}
		}
		pthread_mutex_unlock(&st->mu);
	}
	pthread_mutex_unlock(&s->mu);
}

void srv_streams_cancel_all(cr_server *s)
{
	pthread_mutex_lock(&s->mu);
	for (srv_stream *st = s->streams; st; st = st->next)
		cr_cancel_request(&st->cancel);
	pthread_mutex_unlock(&s->mu);
}
