/* test_link.c — `sciot link` ($SCIOT_BIN, set by CTest) as a subprocess in
 * front of a small echo server of this test (a thread on a loopback port).
 * What is checked is what the emulator enforces, so lower bounds are strict
 * and upper bounds generous (a loaded machine is slow, never fast):
 *
 *   - the ready line (port 0 → the real port) and the counters on SIGTERM;
 *   - a 1-byte ping takes >= 2 * delay (and < 2 * delay + 50 ms); with
 *     --handshake the first one of a connection pays one more round trip;
 *   - a 2 MB echo at --rate 1000000 runs at 0.8..1.1 x the rate; every byte
 *     comes back in order (pattern and FNV-1a checksum);
 *   - jitter keeps byte order; a half-close arrives after the delay;
 *   - back-pressure: a server that does not read stops the writer after a
 *     bounded amount (queue bound + socket buffers), then everything arrives;
 *   - the schedule: a delay step changes the ping time; a rate step changes
 *     the transfer rate; "down" resets open connections and refuses new
 *     ones until "up";
 *   - --loss-connect refuses connections; an upstream without a server
 *     resets the client; bad arguments and schedules are refused;
 *   - (with the shared models) `sciot device` through the link to a real
 *     `sciot edge`: split inferences whose network time includes the RTT. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edge_proc.h"
#include "testutil.h"

#define START_MS 60000 /* sanitizer builds on a busy machine */

static const char *bin;
static char tmpdir[256];

/* ---- clock and sockets ----------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int listen_any(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_true(s >= 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 64), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
    *port = ntohs(a.sin_port);
    return s;
}

/* Connect to 127.0.0.1:port (blocking), TCP_NODELAY; -1 on failure. */
static int dial(int port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0)
        return -1;
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return -1;
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

/* recv with a deadline: bytes read, 0 on EOF, -1 on error or timeout. */
static ssize_t recv_for(int fd, void *p, size_t n, int timeout_ms)
{
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, timeout_ms) <= 0)
        return -1;
    return recv(fd, p, n, 0);
}

/* One byte there and back: the round trip in ms, -1 on failure. */
static double ping(int fd)
{
    char c = 'p', r = 0;
    double t0 = now_ms();
    if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
        return -1;
    if (recv_for(fd, &r, 1, 10000) != 1 || r != 'p')
        return -1;
    return now_ms() - t0;
}

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)((i ^ (i >> 8) ^ (i >> 16)) * 31u + 7u);
}

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* ---- the echo server ------------------------------------------------------- */

#define ECHO_MAX_CONNS 128

static struct {
    int lfd, port;
    volatile int stop;
    pthread_t acceptor, conns[ECHO_MAX_CONNS];
    int n_conns;
    pthread_mutex_t mu;
} echo;

static void *echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = send(fd, buf + off, (size_t)(r - off), MSG_NOSIGNAL);
            if (w <= 0)
                goto out;
            off += w;
        }
    }
    shutdown(fd, SHUT_WR); /* answer a half-close with ours */
out:
    close(fd);
    return NULL;
}

static void *echo_accept(void *arg)
{
    (void)arg;
    while (!echo.stop) {
        struct pollfd pf = {echo.lfd, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        int fd = accept4(echo.lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&echo.mu);
        if (echo.n_conns < ECHO_MAX_CONNS &&
            pthread_create(&echo.conns[echo.n_conns], NULL, echo_conn, (void *)(intptr_t)fd) == 0)
            echo.n_conns++;
        else
            close(fd);
        pthread_mutex_unlock(&echo.mu);
    }
    return NULL;
}

/* ---- the link process ------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int port;
    int out;         /* its stdout (kept open until it stops) */
    char err[512];   /* file with its stderr */
    char ready[512]; /* the ready line */
} linkp;

/* Start `sciot link --to 127.0.0.1:to --listen 127.0.0.1:0 args...`
 * (NULL-terminated). 0 when it printed its ready line. */
static int link_start(linkp *l, int to, ...)
{
    memset(l, 0, sizeof *l);
    static int seq;
    snprintf(l->err, sizeof l->err, "%s/link%d.err", tmpdir, seq++);
    char tos[32];
    snprintf(tos, sizeof tos, "127.0.0.1:%d", to);
    const char *argv[40] = {bin, "link", "--to", tos, "--listen", "127.0.0.1:0"};
    int n = 6;
    va_list ap;
    va_start(ap, to);
    for (const char *a; (a = va_arg(ap, const char *)) && n < 38;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int e = open(l->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fds[1], 1);
        if (e >= 0)
            dup2(e, 2);
        close(fds[0]);
        close(fds[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    l->pid = pid;
    l->out = fds[0];
    size_t got = 0;
    double end = now_ms() + START_MS;
    while (got + 1 < sizeof l->ready && now_ms() < end) {
        struct pollfd p = {l->out, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (read(l->out, l->ready + got, 1) != 1)
            break;
        if (l->ready[got] == '\n')
            break;
        got++;
    }
    l->ready[got] = '\0';
    const char *p = strstr(l->ready, "sciot link: ready 127.0.0.1:");
    if (p)
        l->port = atoi(p + strlen("sciot link: ready 127.0.0.1:"));
    if (l->port <= 0) {
        int st;
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        close(l->out);
        l->pid = 0;
        return -1;
    }
    return 0;
}

/* SIGTERM; the exit status (128 + signal if it died of one). The counters
 * it printed are left in l->err. */
static int link_stop(linkp *l)
{
    int st = 0;
    if (l->pid <= 0)
        return -1;
    kill(l->pid, SIGTERM);
    double end = now_ms() + 30000;
    pid_t r = 0;
    while ((r = waitpid(l->pid, &st, WNOHANG)) == 0 && now_ms() < end)
        ep_sleep_ms(10);
    if (r != l->pid) {
        kill(l->pid, SIGKILL);
        waitpid(l->pid, &st, 0);
    }
    close(l->out);
    l->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A counter "name=value" from the exit line on the link's stderr; -1 if absent. */
static long long link_counter(const linkp *l, const char *name)
{
    FILE *f = fopen(l->err, "r");
    char line[2048], key[64];
    long long v = -1;
    snprintf(key, sizeof key, " %s=", name);
    while (f && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, key);
        if (strstr(line, "sciot link: SIGTERM after") && p)
            v = atoll(p + strlen(key));
    }
    if (f)
        fclose(f);
    return v;
}

/* Run `sciot link args...` expecting it to exit at once: its exit status;
 * its stderr in msg. */
static int link_run_fail(char *msg, size_t cap, ...)
{
    char path[300];
    snprintf(path, sizeof path, "%s/fail.err", tmpdir);
    const char *argv[20] = {bin, "link"};
    int n = 2;
    va_list ap;
    va_start(ap, cap);
    for (const char *a; (a = va_arg(ap, const char *)) && n < 18;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int e = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int dn = open("/dev/null", O_WRONLY);
        dup2(e, 2);
        dup2(dn, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(msg, 1, cap - 1, f) : 0;
    msg[got] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- transfers -------------------------------------------------------------- */

typedef struct {
    int fd;
    size_t expect;
    size_t got;
    uint64_t hash;
    int in_order; /* every byte matched the pattern */
    int eof;      /* the stream ended with EOF after `expect` bytes */
    double t_end; /* when the last byte (or EOF) came */
} reader;

static void *read_all(void *arg)
{
    reader *r = arg;
    uint8_t buf[65536];
    r->hash = 1469598103934665603ull;
    r->in_order = 1;
    for (;;) {
        ssize_t n = recv_for(r->fd, buf, sizeof buf, 30000);
        if (n <= 0) {
            r->eof = n == 0;
            break;
        }
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern(r->got + (size_t)i))
                r->in_order = 0;
        r->hash = fnv1a(r->hash, buf, (size_t)n);
        r->got += (size_t)n;
        r->t_end = now_ms();
    }
    return NULL;
}

/* Write `len` pattern bytes in writes of `piece` bytes, then half-close. */
static int write_pattern(int fd, size_t len, size_t piece, int pause_us)
{
    uint8_t *buf = malloc(len);
    if (!buf)
        return -1;
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(i);
    int rc = 0;
    for (size_t off = 0; off < len && !rc;) {
        size_t n = len - off < piece ? len - off : piece;
        ssize_t w = send(fd, buf + off, n, MSG_NOSIGNAL);
        if (w <= 0)
            rc = -1;
        else
            off += (size_t)w;
        if (pause_us)
            usleep((useconds_t)pause_us);
    }
    shutdown(fd, SHUT_WR);
    free(buf);
    return rc;
}

/* Echo `len` bytes through port: the elapsed ms from the first byte sent to
 * the EOF that follows the last byte back; checks order and content. */
static double echo_transfer(int port, size_t len, size_t piece, int pause_us)
{
    int fd = dial(port);
    assert_true(fd >= 0);
    reader r = {.fd = fd, .expect = len};
    pthread_t th;
    double t0 = now_ms();
    assert_int_equal(pthread_create(&th, NULL, read_all, &r), 0);
    assert_int_equal(write_pattern(fd, len, piece, pause_us), 0);
    pthread_join(th, NULL);
    close(fd);
    assert_int_equal(r.got, len);
    assert_true(r.in_order);
    assert_true(r.eof);
    uint8_t *want = malloc(len);
    assert_non_null(want);
    for (size_t i = 0; i < len; i++)
        want[i] = pattern(i);
    assert_true(fnv1a(1469598103934665603ull, want, len) == r.hash);
    free(want);
    return r.t_end - t0;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_ready_and_counters(void **state)
{
    (void)state;
    linkp l;
    assert_int_equal(link_start(&l, echo.port, NULL), 0);
    char want[64];
    snprintf(want, sizeof want, "-> 127.0.0.1:%d ", echo.port);
    assert_non_null(strstr(l.ready, want));
    assert_true(l.port > 0 && l.port != echo.port);
    echo_transfer(l.port, 1000, 1000, 0);
    assert_int_equal(link_stop(&l), 0);
    assert_int_equal(link_counter(&l, "accepted"), 1);
    assert_int_equal(link_counter(&l, "closed"), 1);
    assert_int_equal(link_counter(&l, "open"), 0);
    assert_int_equal(link_counter(&l, "bytes_up"), 1000);
    assert_int_equal(link_counter(&l, "bytes_down"), 1000);
}

static void test_ping_rtt(void **state)
{
    (void)state;
    const double delay = 40;
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--delay-ms", "40", NULL), 0);
    int fd = dial(l.port);
    assert_true(fd >= 0);
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
        double rtt = ping(fd);
        print_message("ping %d: %.2f ms (2 x delay = %.0f ms)\n", i, rtt, 2 * delay);
        assert_true(rtt >= 2 * delay); /* the emulator never lets a byte out early */
        if (rtt < best)
            best = rtt;
    }
    assert_true(best < 2 * delay + 50);
    close(fd);
    assert_int_equal(link_stop(&l), 0);

    /* without a delay the link adds next to nothing */
    assert_int_equal(link_start(&l, echo.port, NULL), 0);
    fd = dial(l.port);
    best = 1e9;
    for (int i = 0; i < 5; i++) {
        double rtt = ping(fd);
        assert_true(rtt >= 0);
        if (rtt < best)
            best = rtt;
    }
    print_message("no delay: best ping %.2f ms\n", best);
    assert_true(best < 50);
    close(fd);
    assert_int_equal(link_stop(&l), 0);
}

static void test_handshake(void **state)
{
    (void)state;
    /* --handshake: the first byte of a connection pays one more round trip */
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--delay-ms", "30", "--handshake", NULL), 0);
    int fd = dial(l.port);
    assert_true(fd >= 0);
    double first = ping(fd), second = ping(fd);
    print_message("--handshake, delay 30: first ping %.1f ms, second %.1f ms\n", first, second);
    assert_true(first >= 120);
    assert_true(second >= 60);
    assert_true(second < 60 + 50);
    close(fd);
    assert_int_equal(link_stop(&l), 0);
}

static void test_rate(void **state)
{
    (void)state;
    const double rate = 1000000;
    const size_t len = 2u << 20;
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--rate", "1000000", NULL), 0);
    double ms = echo_transfer(l.port, len, 65536, 0);
    double got = (double)len / (ms / 1e3);
    print_message("2 MB echo at --rate 1000000: %.0f ms, %.0f bytes/s (%.3f x rate)\n", ms, got, got / rate);
    /* up and down are each limited at `rate` and pipelined */
    assert_true(got <= 1.1 * rate);
    assert_true(got >= 0.8 * rate);
    assert_int_equal(link_stop(&l), 0);
    assert_int_equal(link_counter(&l, "bytes_up"), (long long)len);
    assert_int_equal(link_counter(&l, "bytes_down"), (long long)len);
}

static void test_rate_shared(void **state)
{
    (void)state;
    /* two connections at once share one link: together they get `rate` */
    const double rate = 1000000;
    const size_t len = 1u << 20;
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--rate", "1M", NULL), 0);
    int fd[2];
    reader r[2];
    pthread_t th[2];
    double t0 = now_ms();
    for (int i = 0; i < 2; i++) {
        fd[i] = dial(l.port);
        assert_true(fd[i] >= 0);
        r[i] = (reader){.fd = fd[i], .expect = len};
        assert_int_equal(pthread_create(&th[i], NULL, read_all, &r[i]), 0);
    }
    /* non-blocking writes of both, interleaved */
    for (int i = 0; i < 2; i++)
        fcntl(fd[i], F_SETFL, O_NONBLOCK);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(i);
    size_t off[2] = {0, 0};
    while (off[0] < len || off[1] < len) {
        struct pollfd pf[2] = {{fd[0], off[0] < len ? POLLOUT : 0, 0}, {fd[1], off[1] < len ? POLLOUT : 0, 0}};
        poll(pf, 2, 1000);
        for (int i = 0; i < 2; i++) {
            if (off[i] >= len || !(pf[i].revents & POLLOUT))
                continue;
            ssize_t w = send(fd[i], buf + off[i], len - off[i], MSG_NOSIGNAL);
            if (w > 0)
                off[i] += (size_t)w;
            if (off[i] == len)
                shutdown(fd[i], SHUT_WR);
        }
    }
    free(buf);
    double end = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        close(fd[i]);
        assert_int_equal(r[i].got, len);
        assert_true(r[i].in_order);
        if (r[i].t_end > end)
            end = r[i].t_end;
    }
    double got = 2.0 * (double)len / ((end - t0) / 1e3);
    print_message("2 x 1 MB echo at once at --rate 1M: %.0f bytes/s together (%.3f x rate)\n", got, got / rate);
    assert_true(got <= 1.1 * rate);
    assert_true(got >= 0.7 * rate);
    assert_int_equal(link_stop(&l), 0);
}

static void test_jitter_keeps_order(void **state)
{
    (void)state;
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--delay-ms", "10", "--jitter-ms", "10", "--seed", "7", NULL), 0);
    /* 600 small writes 0.2 ms apart: jitter (+-10 ms) would reorder them */
    double ms = echo_transfer(l.port, 600 * 100, 100, 200);
    print_message("60 kB in 100-byte writes through 10 +- 10 ms: %.0f ms, in order\n", ms);
    assert_true(ms >= 0);
    assert_int_equal(link_stop(&l), 0);
}

static void test_half_close(void **state)
{
    (void)state;
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--delay-ms", "30", NULL), 0);
    int fd = dial(l.port);
    assert_true(fd >= 0);
    assert_true(ping(fd) >= 60);
    /* our FIN travels 30 ms, the echo's answer FIN 30 ms back */
    double t0 = now_ms();
    assert_int_equal(send(fd, "abc", 3, MSG_NOSIGNAL), 3);
    shutdown(fd, SHUT_WR);
    char buf[8];
    size_t got = 0;
    ssize_t n;
    while ((n = recv_for(fd, buf + got, sizeof buf - got, 10000)) > 0)
        got += (size_t)n;
    double ms = now_ms() - t0;
    assert_int_equal(n, 0); /* EOF, not an error */
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "abc", 3);
    print_message("half-close: data and EOF back after %.1f ms\n", ms);
    assert_true(ms >= 60);
    close(fd);
    assert_int_equal(link_stop(&l), 0);
    assert_int_equal(link_counter(&l, "closed"), 1);
    assert_int_equal(link_counter(&l, "aborted"), 0);
}

static void test_backpressure(void **state)
{
    (void)state;
    /* a server that does not read: the link stops reading at the queue bound */
    int sport;
    int slfd = listen_any(&sport);
    linkp l;
    assert_int_equal(link_start(&l, sport, "--queue-bytes", "65536", NULL), 0);
    int fd = dial(l.port);
    assert_true(fd >= 0);
    int sfd = accept(slfd, NULL, NULL);
    assert_true(sfd >= 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    const size_t cap = 256u << 20;
    uint8_t *buf = malloc(65536);
    assert_non_null(buf);
    size_t written = 0;
    double idle_since = now_ms();
    while (written < cap && now_ms() - idle_since < 500) {
        for (size_t i = 0; i < 65536; i++)
            buf[i] = pattern(written + i);
        ssize_t w = send(fd, buf, 65536, MSG_NOSIGNAL);
        if (w > 0) {
            written += (size_t)w; /* a short write: the pattern resumes at `written` */
            idle_since = now_ms();
        } else {
            struct pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, 50);
        }
    }
    free(buf);
    print_message("back-pressure: the writer stalled after %zu bytes\n", written);
    /* queue bound + the kernel's socket buffers on both sides, never unbounded */
    assert_true(written < (64u << 20));
    /* now the server reads: everything arrives, in order */
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    shutdown(fd, SHUT_WR);
    reader r = {.fd = sfd, .expect = written};
    read_all(&r);
    assert_int_equal(r.got, written);
    assert_true(r.in_order);
    assert_true(r.eof);
    close(sfd);
    close(fd);
    close(slfd);
    assert_int_equal(link_stop(&l), 0);
    long long q = link_counter(&l, "max_queued_up");
    print_message("largest queue: %lld bytes (bound 65536 + one read)\n", q);
    assert_true(q >= 0 && q <= 65536 + 65536);
}

static void test_schedule_delay_and_rate(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/steps.json", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[{\"at_s\": 1.0, \"delay_ms\": 60},\n"
          " {\"at_s\": 2.0, \"delay_ms\": 0, \"rate\": 500000}]\n",
          f);
    fclose(f);
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--delay-ms", "10", "--rate", "2000000", "--schedule", path, NULL), 0);
    double t0 = now_ms();
    int fd = dial(l.port);
    assert_true(fd >= 0);
    double before = ping(fd);
    print_message("delay 10: ping %.1f ms\n", before);
    assert_true(before >= 20);
    if (now_ms() - t0 < 500) /* else the machine is too slow to tell */
        assert_true(before < 120);
    while (now_ms() - t0 < 1200)
        ep_sleep_ms(10);
    double after = ping(fd); /* the connection stays open across the step */
    print_message("after the step to 60: ping %.1f ms\n", after);
    assert_true(after >= 120);
    assert_true(after < 120 + 50 || now_ms() - t0 > 1900);
    close(fd);
    /* after the rate step: 1 MB at 500 kB/s, about 2 s */
    while (now_ms() - t0 < 2100)
        ep_sleep_ms(10);
    double ms = echo_transfer(l.port, 1u << 20, 65536, 0);
    double got = (double)(1u << 20) / (ms / 1e3);
    print_message("after the step to 500000 bytes/s: %.0f bytes/s\n", got);
    assert_true(got <= 1.1 * 500000);
    assert_true(got >= 0.7 * 500000);
    assert_int_equal(link_stop(&l), 0);
    assert_int_equal(link_counter(&l, "steps"), 2);
}

static void test_schedule_down_up(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/down.json", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[{\"at_s\": 1.0, \"down\": true}, {\"at_s\": 2.5, \"down\": false}]\n", f);
    fclose(f);
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--delay-ms", "5", "--schedule", path, NULL), 0);
    double t0 = now_ms();
    int fd = dial(l.port);
    assert_true(fd >= 0);
    assert_true(ping(fd) >= 10);
    /* going down resets the open connection */
    while (now_ms() - t0 < 1300)
        ep_sleep_ms(10);
    char c;
    ssize_t n = recv_for(fd, &c, 1, 5000);
    assert_true(n <= 0);
    close(fd);
    /* while down, new connections are refused (reset at once) */
    for (int i = 0; i < 3; i++) {
        fd = dial(l.port);
        if (fd >= 0) {
            assert_true(ping(fd) < 0);
            close(fd);
        }
    }
    /* up again */
    while (now_ms() - t0 < 2700)
        ep_sleep_ms(10);
    fd = dial(l.port);
    assert_true(fd >= 0);
    double rtt = ping(fd);
    print_message("up again: ping %.1f ms\n", rtt);
    assert_true(rtt >= 10);
    close(fd);
    assert_int_equal(link_stop(&l), 0);
    assert_true(link_counter(&l, "refused_down") >= 3);
    assert_true(link_counter(&l, "aborted") >= 1);
}

static void test_loss_connect(void **state)
{
    (void)state;
    linkp l;
    assert_int_equal(link_start(&l, echo.port, "--loss-connect", "0.5", "--seed", "3", NULL), 0);
    int ok = 0;
    for (int i = 0; i < 40; i++) {
        int fd = dial(l.port);
        if (fd >= 0 && ping(fd) >= 0)
            ok++;
        if (fd >= 0)
            close(fd);
    }
    print_message("loss 0.5: %d of 40 connections worked\n", ok);
    assert_true(ok >= 5 && ok <= 35);
    assert_int_equal(link_stop(&l), 0);
    assert_int_equal(link_counter(&l, "refused_loss") + link_counter(&l, "accepted"), 40);
    assert_int_equal(link_counter(&l, "accepted"), ok);

    assert_int_equal(link_start(&l, echo.port, "--loss-connect", "1", NULL), 0);
    for (int i = 0; i < 5; i++) {
        int fd = dial(l.port);
        if (fd >= 0) {
            assert_true(ping(fd) < 0);
            close(fd);
        }
    }
    assert_int_equal(link_stop(&l), 0);
    assert_int_equal(link_counter(&l, "accepted"), 0);
}

static void test_upstream_refused(void **state)
{
    (void)state;
    int dead_port = ep_free_port(); /* nothing listens there */
    linkp l;
    assert_int_equal(link_start(&l, dead_port, "--quiet", NULL), 0);
    int fd = dial(l.port);
    assert_true(fd >= 0);
    assert_true(ping(fd) < 0);
    close(fd);
    assert_int_equal(link_stop(&l), 0);
    assert_int_equal(link_counter(&l, "upstream_failures"), 1);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char msg[1024];
    assert_int_equal(link_run_fail(msg, sizeof msg, "--delay-ms", "5", NULL), 1);
    assert_non_null(strstr(msg, "--to"));
    assert_int_equal(link_run_fail(msg, sizeof msg, "--to", "localhost:80", NULL), 1);
    assert_non_null(strstr(msg, "IPv4"));
    assert_int_equal(link_run_fail(msg, sizeof msg, "--to", "127.0.0.1:80", "--rate", "fast", NULL), 1);
    assert_non_null(strstr(msg, "--rate"));
    assert_int_equal(link_run_fail(msg, sizeof msg, "--to", "127.0.0.1:80", "--loss-connect", "1.5", NULL), 1);
    char path[300];
    snprintf(path, sizeof path, "%s/bad.json", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[{\"at_s\": 1, \"dealy_ms\": 5}]", f);
    fclose(f);
    assert_int_equal(link_run_fail(msg, sizeof msg, "--to", "127.0.0.1:80", "--schedule", path, NULL), 1);
    assert_non_null(strstr(msg, "dealy_ms"));
    f = fopen(path, "w");
    fputs("[{\"delay_ms\": 5}]", f);
    fclose(f);
    assert_int_equal(link_run_fail(msg, sizeof msg, "--to", "127.0.0.1:80", "--schedule", path, NULL), 1);
    assert_non_null(strstr(msg, "at_s"));
    assert_int_equal(link_run_fail(msg, sizeof msg, "--help", NULL), 0);
}

/* sciot device -> sciot link -> sciot edge, person_detect */
static void test_edge_through_link(void **state)
{
    (void)state;
    const char *models = tu_models_dir();
    if (!models) {
        print_message("SCIOT_MODELS not set: skipping the edge part\n");
        skip();
    }
    char model[600], input[600], db[300], queue[300], out[300];
    snprintf(model, sizeof model, "%s/person_detect/model.tflite", models);
    snprintf(input, sizeof input, "%s/images/tflm_person_96x96_gray.bmp", models);
    snprintf(db, sizeof db, "%s/edge.db", tmpdir);
    snprintf(queue, sizeof queue, "%s/queue", tmpdir);
    snprintf(out, sizeof out, "%s/device.json", tmpdir);
    ep_proc e;
    assert_int_equal(ep_start(&e, bin, model, db, NULL, NULL, START_MS), 0);
    linkp l;
    assert_int_equal(link_start(&l, e.port, "--delay-ms", "20", "--rate", "1000000", NULL), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", l.port);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int dn = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(dn, 2);
        execl(bin, bin, "device", "--model", model, "--edge", url, "--input", input, "--count", "8", "--json",
              "--slowdown", "300", "--device-id", "via-link", "--queue", queue, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[65536];
    int lines = 0, offloaded = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        const char *w = strstr(line, "\"where\":\"");
        const char *nm = strstr(line, "\"network_ms\":");
        assert_non_null(w);
        assert_non_null(nm);
        assert_null(strstr(line, "\"fell_back\":true"));
        if (strncmp(w + 9, "local", 5) != 0) {
            /* an exchange with the edge: at least one round trip of the link */
            double net = atof(nm + strlen("\"network_ms\":"));
            assert_true(net >= 40.0);
            offloaded++;
        }
    }
    fclose(f);
    print_message("device through the link: %d inferences, %d offloaded\n", lines, offloaded);
    assert_int_equal(lines, 8);
    assert_true(offloaded >= 1); /* a 300x slower device offloads */
    assert_int_equal(link_stop(&l), 0);
    assert_true(link_counter(&l, "bytes_up") > 8 * 1000);
    assert_int_equal(ep_stop(&e, 60000), 0);
}

/* ---- setup ------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sciot_test_link_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&echo.mu, NULL);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64) ||
        getsockname(s, (struct sockaddr *)&a, &len))
        return -1;
    echo.lfd = s;
    echo.port = ntohs(a.sin_port);
    return pthread_create(&echo.acceptor, NULL, echo_accept, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    echo.stop = 1;
    pthread_join(echo.acceptor, NULL);
    for (int i = 0; i < echo.n_conns; i++)
        pthread_join(echo.conns[i], NULL);
    close(echo.lfd);
    pthread_mutex_destroy(&echo.mu);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    bin = getenv("SCIOT_BIN");
    if (!bin || !*bin) {
        fprintf(stderr, "SCIOT_BIN is not set to the sciot executable (CTest sets it): skipping\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_and_counters),
        cmocka_unit_test(test_ping_rtt),
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_rate_shared),
        cmocka_unit_test(test_jitter_keeps_order),
        cmocka_unit_test(test_half_close),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_schedule_delay_and_rate),
        cmocka_unit_test(test_schedule_down_up),
        cmocka_unit_test(test_loss_connect),
        cmocka_unit_test(test_upstream_refused),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_edge_through_link),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
