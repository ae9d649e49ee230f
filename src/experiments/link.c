/* link.c — the emulated link (see link.h for what it emulates).
 *
 * Structure. A connection pairs two sockets, ends[0] = the client (accepted)
 * and ends[1] = the server (connected by us, non-blocking). Each direction d
 * (0 = up, client → server; 1 = down) has a FIFO of chunks: what one recv()
 * returned, stamped with the instant it may leave (its "due" time). Reading
 * end s appends to q[s]; q[d] is written to end 1 - d. The end of a stream
 * is a chunk too (fin), so a half-close is delayed like data and
 * shutdown(SHUT_WR) is sent once everything before it has been written.
 *
 * The loop, one iteration:
 *   1. apply the schedule steps that are due;
 *   2. pump: for every connection and direction, write the chunks that are
 *      due while the direction's token bucket has tokens; remember the next
 *      instant something becomes possible (a due time, or when the bucket
 *      will hold enough tokens for the next piece);
 *   3. recompute each socket's epoll interest: EPOLLIN while the stream is
 *      open and its queue (payload plus per-chunk overhead, so tiny writes
 *      are bounded too) is under the bound (back-pressure), EPOLLOUT while
 *      a write hit EAGAIN or the upstream connect is in progress; a socket
 *      with nothing to wait for is taken out of epoll (a shut-down socket
 *      would otherwise report EPOLLHUP forever);
 *   4. wait (epoll_pwait2, microseconds) until that next instant and
 *      handle the events: accept, read, write-ready, connect completed,
 *      stop. Nothing ever leaves before its due time.
 * Connections that die while a batch of events is handled are freed after
 * the batch (later events of the batch may still point at them).
 *
 * The buckets are shared by all connections of a direction; the pump starts
 * from a different connection each iteration so that no connection starves.
 * Bytes leave in pieces of 1 ms of traffic (1 B..16 KiB), so a direction
 * wakes up at most about a thousand times per second at any rate; an idle
 * bucket holds one piece, so a message after an idle period is sped up by
 * at most 1 ms and a long transfer cannot beat `rate` by more than that. */
#define _GNU_SOURCE
#include "experiments/link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "host/host.h"

#define ELINK_READ_MAX 65536
#define ELINK_DEFAULT_QUEUE ((size_t)4 << 20)
#define ELINK_EVENTS 64

typedef struct chunk {
    struct chunk *next;
    int64_t due_us;
    size_t len, off;
    int fin;
    uint8_t data[];
} chunk;

typedef struct {
    chunk *head, *tail;
    size_t queued;   /* payload bytes not written yet */
    size_t mem;      /* queued + per-chunk overhead: what the bound limits */
    int64_t last_due;
    int eof_read;    /* the source sent its FIN: no more reads */
    int fin_sent;    /* shutdown(destination, SHUT_WR) done */
    int blocked;     /* a write hit EAGAIN: wait for EPOLLOUT */
} dirq;

struct conn;
typedef struct {
    struct conn *c;
    int fd;
    int side;        /* 0 client, 1 server */
    uint32_t events; /* registered interest; 0 = not in epoll */
} endp;

typedef struct conn {
    struct conn *prev, *next;
    endp ends[2];
    dirq q[2];
    int connecting;  /* the upstream connect is in progress */
    int dead;
    int64_t open_us; /* with handshake: no up byte leaves before this */
} conn;

typedef struct {
    double rate;     /* bytes/s, <= 0: unlimited */
    double tokens, cap, piece;
    int64_t last_us;
    int backlogged;  /* a sender waited for tokens since the last refill */
} bucket;

struct elink {
    const elink_config *cfg;
    int lfd, epfd, port;
    int64_t start_us;
    struct sockaddr_in to;
    /* the current link state (the schedule changes it) */
    double delay_ms, jitter_ms, loss;
    int down;
    bucket b[2];
    size_t next_step;
    conn *conns, *conns_tail; /* open connections */
    conn *grave;              /* dead, freed after the current batch */
    int accept_paused;        /* out of descriptors: retry later */
    int no_pwait2;            /* the kernel lacks epoll_pwait2 */
    int64_t accept_retry_us;
    uint64_t rng;
    elink_stats st;
    uint8_t buf[ELINK_READ_MAX];
    char listen_tag, stop_tag; /* epoll data.ptr of the listener, stop fd */
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64*: uniform in [0, 1) */
static double rng_uniform(elink *l)
{
    l->rng ^= l->rng >> 12;
    l->rng ^= l->rng << 25;
    l->rng ^= l->rng >> 27;
    return (double)((l->rng * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static void logf_(const elink *l, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void logf_(const elink *l, const char *fmt, ...)
{
    if (!l->cfg->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(l->cfg->log, "sciot link: t=%.3f s: ", (double)(now_us() - l->start_us) / 1e6);
    vfprintf(l->cfg->log, fmt, ap);
    va_end(ap);
    fputc('\n', l->cfg->log);
    fflush(l->cfg->log);
}

static void reset_close(int fd)
{
    if (fd < 0)
        return;
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); /* close sends RST */
    close(fd);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- token buckets ------------------------------------------------------ */

/* The bucket holds `cap` tokens when the link was idle. While a sender is
 * waiting for tokens, a wake-up that comes late (a loaded machine) keeps
 * what accrued meanwhile, up to 100 ms of traffic, so the long-run rate of a
 * backlogged direction is `rate` and not less; it is never more, since
 * tokens only accrue at `rate`. */
static void bucket_refill(bucket *b, int64_t now)
{
    if (b->rate > 0 && now > b->last_us) {
        double cap = b->backlogged ? fmax(b->cap, b->rate * 0.1) : b->cap;
        b->tokens += (double)(now - b->last_us) * b->rate / 1e6;
        if (b->tokens > cap)
            b->tokens = cap;
    }
    if (now > b->last_us)
        b->last_us = now;
    b->backlogged = 0;
}

static void bucket_set_rate(bucket *b, double rate, int64_t now)
{
    bucket_refill(b, now);
    int was_unlimited = b->rate <= 0;
    b->rate = rate;
    if (rate <= 0)
        return;
    b->piece = fmin(16384.0, fmax(1.0, floor(rate * 0.001)));
    b->cap = b->piece;
    if (was_unlimited || b->tokens > b->cap)
        b->tokens = b->cap;
}

/* ---- the schedule ------------------------------------------------------- */

void elink_config_defaults(elink_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
    snprintf(cfg->to_host, sizeof cfg->to_host, "127.0.0.1");
    cfg->queue_bytes = ELINK_DEFAULT_QUEUE;
    cfg->seed = 1;
}

sciot_status elink_parse_addr(const char *s, char host[64], int *port, sciot_error *err)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    const char *ps = colon ? colon + 1 : s;
    char h[64] = "127.0.0.1";
    if (!s || !*s)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "empty address (expected HOST:PORT or PORT)");
    if (colon) {
        size_t hl = (size_t)(colon - s);
        if (hl == 0 || hl >= sizeof h)
            return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "'%s': expected HOST:PORT", s);
        memcpy(h, s, hl);
        h[hl] = '\0';
    }
    struct in_addr a;
    if (inet_pton(AF_INET, h, &a) != 1)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "'%s': the host must be an IPv4 address such as 127.0.0.1",
                          s);
    char *end;
    long p = strtol(ps, &end, 10);
    if (!*ps || *end || p < 0 || p > 65535)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "'%s': the port must be 0..65535", s);
    memcpy(host, h, sizeof h);
    *port = (int)p;
    return SCIOT_OK;
}

static int step_cmp(const void *a, const void *b)
{
    const elink_step *x = a, *y = b;
    if (x->at_s != y->at_s)
        return x->at_s < y->at_s ? -1 : 1;
    return 0;
}

/* A finite number in [lo, hi] under `key` of step i. */
static sciot_status step_number(const cJSON *it, size_t i, double lo, double hi, double *out, sciot_error *err)
{
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < lo || it->valuedouble > hi)
        return sciot_fail(err, SCIOT_ERR_OUT_OF_RANGE, "step %zu: '%s' must be a number in [%g, %g]", i,
                          it->string, lo, hi);
    *out = it->valuedouble;
    return SCIOT_OK;
}

sciot_status elink_schedule_parse(const char *json, elink_step **steps, size_t *n, sciot_error *err)
{
    *steps = NULL;
    *n = 0;
    cJSON *root = cJSON_Parse(json);
    if (!root)
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "not valid JSON (near '%.20s')",
                          cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "");
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                          "expected a JSON array of steps [{\"at_s\": t, \"delay_ms\": D, ...}]");
    }
    size_t cnt = (size_t)cJSON_GetArraySize(root);
    elink_step *s = calloc(cnt ? cnt : 1, sizeof *s);
    if (!s) {
        cJSON_Delete(root);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    }
    sciot_status rc = SCIOT_OK;
    size_t i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, root)
    {
        elink_step *st = &s[i];
        int has_at = 0;
        if (!cJSON_IsObject(o)) {
            rc = sciot_fail(err, SCIOT_ERR_INVALID_ARG, "step %zu: expected an object", i);
            break;
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, o)
        {
            const char *k = it->string;
            if (!strcmp(k, "at_s")) {
                rc = step_number(it, i, 0, 1e9, &st->at_s, err);
                has_at = 1;
            } else if (!strcmp(k, "delay_ms")) {
                rc = step_number(it, i, 0, 600000, &st->delay_ms, err);
                st->set |= ELINK_SET_DELAY;
            } else if (!strcmp(k, "jitter_ms")) {
                rc = step_number(it, i, 0, 600000, &st->jitter_ms, err);
                st->set |= ELINK_SET_JITTER;
            } else if (!strcmp(k, "rate")) {
                rc = step_number(it, i, 0, 1e12, &st->rate, err);
                st->set |= ELINK_SET_RATE;
            } else if (!strcmp(k, "loss_connect")) {
                rc = step_number(it, i, 0, 1, &st->loss_connect, err);
                st->set |= ELINK_SET_LOSS;
            } else if (!strcmp(k, "down")) {
                if (!cJSON_IsBool(it))
                    rc = sciot_fail(err, SCIOT_ERR_INVALID_ARG, "step %zu: 'down' must be true or false", i);
                st->down = cJSON_IsTrue(it);
                st->set |= ELINK_SET_DOWN;
            } else {
                rc = sciot_fail(err, SCIOT_ERR_INVALID_ARG,
                                "step %zu: unknown key '%s' (at_s, delay_ms, jitter_ms, rate, loss_connect, down)",
                                i, k);
            }
            if (rc)
                break;
        }
        if (!rc && !has_at)
            rc = sciot_fail(err, SCIOT_ERR_INVALID_ARG, "step %zu: 'at_s' is missing", i);
        if (rc)
            break;
        i++;
    }
    cJSON_Delete(root);
    if (rc) {
        free(s);
        return rc;
    }
    /* stable: steps at the same instant apply in file order */
    for (size_t a = 1; a < cnt; a++)
        for (size_t b = a; b > 0 && step_cmp(&s[b - 1], &s[b]) > 0; b--) {
            elink_step t = s[b - 1];
            s[b - 1] = s[b];
            s[b] = t;
        }
    *steps = s;
    *n = cnt;
    return SCIOT_OK;
}

sciot_status elink_schedule_load(const char *path, elink_step **steps, size_t *n, sciot_error *err)
{
    uint8_t *data;
    size_t len;
    sciot_status rc = sciot_read_file(path, &data, &len, err);
    if (rc)
        return rc;
    char *text = malloc(len + 1);
    if (!text) {
        free(data);
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    memcpy(text, data, len);
    text[len] = '\0';
    free(data);
    rc = elink_schedule_parse(text, steps, n, err);
    free(text);
    if (rc)
        sciot_error_prefix(err, path);
    return rc;
}

/* ---- connections -------------------------------------------------------- */

static void conn_free(conn *c)
{
    for (int d = 0; d < 2; d++) {
        chunk *k = c->q[d].head;
        while (k) {
            chunk *nx = k->next;
            free(k);
            k = nx;
        }
    }
    free(c);
}

static void conn_unlink(elink *l, conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->conns_tail = c->prev;
    c->prev = NULL;
    c->next = l->grave;
    l->grave = c;
    l->st.open--;
}

/* Reset both sockets (RST): a socket error, or the link went down. */
static void conn_abort(elink *l, conn *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    for (int s = 0; s < 2; s++) {
        reset_close(c->ends[s].fd);
        c->ends[s].fd = -1;
    }
    conn_unlink(l, c);
}

/* Both FINs delivered: an orderly close. */
static void conn_finish(elink *l, conn *c)
{
    c->dead = 1;
    for (int s = 0; s < 2; s++) {
        close(c->ends[s].fd);
        c->ends[s].fd = -1;
    }
    conn_unlink(l, c);
    l->st.closed++;
}

static double draw_delay_us(elink *l)
{
    double d = l->delay_ms;
    if (l->jitter_ms > 0)
        d += l->jitter_ms * (2.0 * rng_uniform(l) - 1.0);
    return d > 0 ? d * 1000.0 : 0.0;
}

/* Append what end s just read (len bytes, or the FIN when fin) to q[s]. */
static int enqueue(elink *l, conn *c, int s, const uint8_t *p, size_t len, int fin, int64_t now)
{
    dirq *q = &c->q[s];
    chunk *k = malloc(sizeof *k + len);
    if (!k)
        return -1;
    int64_t base = now;
    if (s == 0 && base < c->open_us)
        base = c->open_us;
    int64_t due = base + (int64_t)ceil(draw_delay_us(l));
    if (due < q->last_due)
        due = q->last_due; /* jitter never reorders a stream */
    q->last_due = due;
    k->next = NULL;
    k->due_us = due;
    k->len = len;
    k->off = 0;
    k->fin = fin;
    if (len)
        memcpy(k->data, p, len);
    if (q->tail)
        q->tail->next = k;
    else
        q->head = k;
    q->tail = k;
    q->queued += len;
    q->mem += sizeof *k + len;
    if (q->queued > l->st.max_queued[s])
        l->st.max_queued[s] = q->queued;
    return 0;
}

/* Read end s until EAGAIN, EOF or the queue bound. */
static void on_readable(elink *l, conn *c, int s)
{
    dirq *q = &c->q[s];
    size_t bound = l->cfg->queue_bytes ? l->cfg->queue_bytes : ELINK_DEFAULT_QUEUE;
    while (!c->dead && !q->eof_read && q->mem < bound) {
        ssize_t r = recv(c->ends[s].fd, l->buf, sizeof l->buf, 0);
        int64_t now = now_us();
        if (r > 0) {
            if (enqueue(l, c, s, l->buf, (size_t)r, 0, now)) {
                conn_abort(l, c);
                l->st.aborted++;
            }
            if ((size_t)r < sizeof l->buf)
                break; /* most likely drained; level-triggered epoll tells otherwise */
        } else if (r == 0) {
            q->eof_read = 1;
            if (enqueue(l, c, s, NULL, 0, 1, now)) {
                conn_abort(l, c);
                l->st.aborted++;
            }
        } else if (errno == EINTR) {
            continue;
        } else {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                conn_abort(l, c);
                l->st.aborted++;
            }
            break;
        }
    }
}

/* Write what is due of direction d; returns the next instant it can make
 * progress by itself (INT64_MAX: when an event comes). */
static int64_t pump(elink *l, conn *c, int d, int64_t now)
{
    dirq *q = &c->q[d];
    bucket *b = &l->b[d];
    int dst = c->ends[1 - d].fd;
    while (!c->dead && q->head) {
        chunk *k = q->head;
        if (k->due_us > now)
            return k->due_us;
        if ((d == 0 && c->connecting) || q->blocked)
            return INT64_MAX;
        if (k->fin) {
            shutdown(dst, SHUT_WR);
            q->fin_sent = 1;
            q->head = k->next;
            if (!q->head)
                q->tail = NULL;
            q->mem -= sizeof *k;
            free(k);
            if (c->q[1 - d].fin_sent)
                conn_finish(l, c);
            return INT64_MAX;
        }
        size_t want = k->len - k->off, n = want;
        if (b->rate > 0) {
            bucket_refill(b, now);
            double need = fmin((double)want, b->piece);
            if (b->tokens < need) {
                b->backlogged = 1;
                return now + (int64_t)ceil((need - b->tokens) * 1e6 / b->rate);
            }
            if ((double)n > b->tokens)
                n = (size_t)b->tokens;
        }
        ssize_t w = send(dst, k->data + k->off, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                q->blocked = 1;
                return INT64_MAX;
            }
            conn_abort(l, c);
            l->st.aborted++;
            return INT64_MAX;
        }
        if (b->rate > 0)
            b->tokens -= (double)w;
        k->off += (size_t)w;
        q->queued -= (size_t)w;
        l->st.bytes[d] += (uint64_t)w;
        if (k->off == k->len) {
            q->head = k->next;
            if (!q->head)
                q->tail = NULL;
            q->mem -= sizeof *k + k->len;
            free(k);
        }
    }
    return INT64_MAX;
}

/* Register what end s waits for (see the loop comment in the header). */
static int update_interest(elink *l, conn *c, int s)
{
    endp *e = &c->ends[s];
    size_t bound = l->cfg->queue_bytes ? l->cfg->queue_bytes : ELINK_DEFAULT_QUEUE;
    uint32_t want = 0;
    int connecting = s == 1 && c->connecting;
    if (!connecting && !c->q[s].eof_read && c->q[s].mem < bound)
        want |= EPOLLIN;
    if (connecting || c->q[1 - s].blocked)
        want |= EPOLLOUT;
    if (want == e->events)
        return 0;
    struct epoll_event ev = {.events = want, .data.ptr = e};
    int op = !e->events ? EPOLL_CTL_ADD : want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    if (epoll_ctl(l->epfd, op, e->fd, &ev) != 0)
        return -1;
    e->events = want;
    return 0;
}

static void on_writable(elink *l, conn *c, int s)
{
    if (s == 1 && c->connecting) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(c->ends[1].fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr == EINPROGRESS || soerr == EALREADY)
            return;
        if (soerr) {
            logf_(l, "upstream %s:%d: %s; the client is reset", l->cfg->to_host, l->cfg->to_port,
                  strerror(soerr));
            l->st.upstream_failures++;
            conn_abort(l, c);
            return;
        }
        c->connecting = 0;
        return;
    }
    c->q[1 - s].blocked = 0;
}

static void on_error(elink *l, conn *c, int s)
{
    if (s == 1 && c->connecting) {
        on_writable(l, c, s); /* reports the connect error */
        if (!c->dead && c->connecting) {
            l->st.upstream_failures++;
            conn_abort(l, c);
        }
        return;
    }
    conn_abort(l, c);
    l->st.aborted++;
}

static void accept_all(elink *l, int64_t now)
{
    for (;;) {
        int fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                logf_(l, "accept: %s; accepting again in 100 ms", strerror(errno));
                l->accept_paused = 1;
                l->accept_retry_us = now + 100000;
                struct epoll_event ev = {.events = 0, .data.ptr = &l->listen_tag};
                epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->lfd, &ev);
            }
            return;
        }
        if (l->down) {
            l->st.refused_down++;
            reset_close(fd);
            continue;
        }
        if (l->loss > 0 && rng_uniform(l) < l->loss) {
            l->st.refused_loss++;
            reset_close(fd);
            continue;
        }
        int sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int connecting = 0;
        if (sfd >= 0 && connect(sfd, (const struct sockaddr *)&l->to, sizeof l->to) != 0) {
            if (errno == EINPROGRESS) {
                connecting = 1;
            } else {
                logf_(l, "upstream %s:%d: %s; the client is reset", l->cfg->to_host, l->cfg->to_port,
                      strerror(errno));
                close(sfd);
                sfd = -1;
            }
        }
        conn *c = sfd >= 0 ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            if (sfd >= 0)
                close(sfd);
            l->st.upstream_failures++;
            reset_close(fd);
            continue;
        }
        set_nodelay(fd);
        set_nodelay(sfd);
        c->ends[0] = (endp){c, fd, 0, 0};
        c->ends[1] = (endp){c, sfd, 1, 0};
        c->connecting = connecting;
        if (l->cfg->handshake)
            c->open_us = now + 2 * (int64_t)ceil(l->delay_ms * 1000.0);
        c->prev = l->conns_tail;
        if (l->conns_tail)
            l->conns_tail->next = c;
        else
            l->conns = c;
        l->conns_tail = c;
        l->st.accepted++;
        l->st.open++;
    }
}

static void apply_steps(elink *l, int64_t now)
{
    const elink_config *cfg = l->cfg;
    while (l->next_step < cfg->n_schedule &&
           now - l->start_us >= (int64_t)(cfg->schedule[l->next_step].at_s * 1e6)) {
        const elink_step *s = &cfg->schedule[l->next_step++];
        if (s->set & ELINK_SET_DELAY)
            l->delay_ms = s->delay_ms;
        if (s->set & ELINK_SET_JITTER)
            l->jitter_ms = s->jitter_ms;
        if (s->set & ELINK_SET_RATE) {
            bucket_set_rate(&l->b[0], s->rate, now);
            bucket_set_rate(&l->b[1], s->rate, now);
        }
        if (s->set & ELINK_SET_LOSS)
            l->loss = s->loss_connect;
        size_t reset = 0;
        if (s->set & ELINK_SET_DOWN) {
            if (s->down && !l->down)
                while (l->conns) {
                    conn_abort(l, l->conns);
                    l->st.aborted++;
                    reset++;
                }
            l->down = s->down;
        }
        l->st.steps_applied++;
        logf_(l, "step %zu (at_s=%g): delay_ms=%g jitter_ms=%g rate=%.0f loss_connect=%g %s (%zu connections reset)",
              l->next_step, s->at_s, l->delay_ms, l->jitter_ms, l->b[0].rate, l->loss, l->down ? "DOWN" : "up",
              reset);
    }
}

/* ---- the link ---------------------------------------------------------- */

sciot_status elink_create(elink **out, const elink_config *cfg, sciot_error *err)
{
    *out = NULL;
    elink *l = calloc(1, sizeof *l);
    if (!l)
        return sciot_fail(err, SCIOT_ERR_NO_MEMORY, "out of memory");
    l->cfg = cfg;
    l->lfd = l->epfd = -1;
    l->to.sin_family = AF_INET;
    l->to.sin_port = htons((uint16_t)cfg->to_port);
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->listen_port)};
    if (inet_pton(AF_INET, cfg->to_host, &l->to.sin_addr) != 1 || cfg->to_port <= 0) {
        elink_destroy(l);
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "upstream '%s:%d': expected an IPv4 address and a port",
                          cfg->to_host, cfg->to_port);
    }
    if (inet_pton(AF_INET, cfg->listen_host, &la.sin_addr) != 1) {
        elink_destroy(l);
        return sciot_fail(err, SCIOT_ERR_INVALID_ARG, "listen address '%s': expected an IPv4 address",
                          cfg->listen_host);
    }
    int one = 1;
    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t sl = sizeof la;
    if (l->lfd < 0 || setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(l->lfd, (struct sockaddr *)&la, sizeof la) != 0 || listen(l->lfd, 256) != 0 ||
        getsockname(l->lfd, (struct sockaddr *)&la, &sl) != 0) {
        int e = errno;
        elink_destroy(l);
        return sciot_fail(err, SCIOT_ERR_IO, "listen on %s:%d: %s", cfg->listen_host, cfg->listen_port,
                          strerror(e));
    }
    l->port = ntohs(la.sin_port);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->listen_tag};
    if (l->epfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->lfd, &ev) != 0) {
        int e = errno;
        elink_destroy(l);
        return sciot_fail(err, SCIOT_ERR_IO, "epoll: %s", strerror(e));
    }
    l->start_us = now_us();
    l->delay_ms = cfg->delay_ms;
    l->jitter_ms = cfg->jitter_ms;
    l->loss = cfg->loss_connect;
    for (int d = 0; d < 2; d++) {
        l->b[d].last_us = l->start_us;
        bucket_set_rate(&l->b[d], cfg->rate, l->start_us);
    }
    l->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
    *out = l;
    return SCIOT_OK;
}

int elink_port(const elink *l)
{
    return l->port;
}

double elink_uptime(const elink *l)
{
    return (double)(now_us() - l->start_us) / 1e6;
}

void elink_get_stats(const elink *l, elink_stats *st)
{
    *st = l->st;
}

/* Wait for events until now + wait_us (< 0: no limit). epoll_pwait2 takes
 * a timespec, so a chunk leaves within microseconds of its due time;
 * epoll_wait (older kernels) rounds the wait up to the millisecond. */
static int wait_events(elink *l, struct epoll_event *evs, int64_t wait_us)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
    if (!l->no_pwait2) {
        struct timespec ts = {(time_t)(wait_us / 1000000), (long)(wait_us % 1000000) * 1000};
        int n = epoll_pwait2(l->epfd, evs, ELINK_EVENTS, wait_us < 0 ? NULL : &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        l->no_pwait2 = 1;
    }
#endif
    int timeout = wait_us < 0 ? -1 : wait_us > 3600000000LL ? 3600000 : (int)((wait_us + 999) / 1000);
    return epoll_wait(l->epfd, evs, ELINK_EVENTS, timeout);
}

static void bury(elink *l)
{
    while (l->grave) {
        conn *c = l->grave;
        l->grave = c->next;
        conn_free(c);
    }
}

int elink_run(elink *l, int stop_fd, sciot_error *err)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->stop_tag};
    if (stop_fd >= 0 && epoll_ctl(l->epfd, EPOLL_CTL_ADD, stop_fd, &ev) != 0) {
        sciot_fail(err, SCIOT_ERR_IO, "epoll: %s", strerror(errno));
        return -1;
    }
    struct epoll_event evs[ELINK_EVENTS];
    int rc = 0;
    for (;;) {
        int64_t now = now_us();
        apply_steps(l, now);
        int64_t next = INT64_MAX;
        if (l->next_step < l->cfg->n_schedule)
            next = l->start_us + (int64_t)(l->cfg->schedule[l->next_step].at_s * 1e6);
        if (l->accept_paused) {
            if (now >= l->accept_retry_us) {
                struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &l->listen_tag};
                epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->lfd, &lev);
                l->accept_paused = 0;
            } else if (l->accept_retry_us < next) {
                next = l->accept_retry_us;
            }
        }
        /* pump every connection, starting one further each time */
        for (conn *c = l->conns, *nx; c; c = nx) {
            nx = c->next;
            for (int d = 0; d < 2 && !c->dead; d++) {
                int64_t t = pump(l, c, d, now);
                if (t < next)
                    next = t;
            }
        }
        if (l->conns && l->conns != l->conns_tail) {
            conn *c = l->conns;
            l->conns = c->next;
            l->conns->prev = NULL;
            c->prev = l->conns_tail;
            c->next = NULL;
            l->conns_tail->next = c;
            l->conns_tail = c;
        }
        for (conn *c = l->conns, *nx; c; c = nx) {
            nx = c->next;
            if (update_interest(l, c, 0) || update_interest(l, c, 1)) {
                conn_abort(l, c);
                l->st.aborted++;
            }
        }
        bury(l);

        int64_t wait = -1;
        if (next != INT64_MAX) {
            wait = next - now_us();
            if (wait < 0)
                wait = 0;
        }
        int n = wait_events(l, evs, wait);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            sciot_fail(err, SCIOT_ERR_IO, "epoll_wait: %s", strerror(errno));
            rc = -1;
            break;
        }
        int stop = 0;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            uint32_t e = evs[i].events;
            if (p == &l->stop_tag) {
                stop = 1;
            } else if (p == &l->listen_tag) {
                accept_all(l, now_us());
            } else {
                endp *ep = p;
                conn *c = ep->c;
                if (c->dead)
                    continue;
                if (e & EPOLLERR) {
                    on_error(l, c, ep->side);
                    continue;
                }
                if (e & (EPOLLOUT | EPOLLHUP))
                    on_writable(l, c, ep->side);
                if (!c->dead && (e & (EPOLLIN | EPOLLHUP)) && (ep->events & EPOLLIN))
                    on_readable(l, c, ep->side);
            }
        }
        bury(l);
        if (stop)
            break;
    }
    if (stop_fd >= 0)
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, stop_fd, NULL);
    return rc;
}

void elink_destroy(elink *l)
{
    if (!l)
        return;
    while (l->conns)
        conn_abort(l, l->conns);
    bury(l);
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->lfd >= 0)
        close(l->lfd);
    free(l);
}
