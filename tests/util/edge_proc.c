/* edge_proc.c — see edge_proc.h. */
#define _POSIX_C_SOURCE 200809L
#include "edge_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sciot/wire.h"

uint64_t ep_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ep_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int ep_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t l = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0)
        return -1;
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &l) != 0) {
        close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

int ep_port_accepts(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0)
        return 0;
    int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

int ep_start(ep_proc *e, const char *bin, const char *model, const char *db, const char *config,
             const char *const *extra, int timeout_ms)
{
    int fds[2];
    e->pid = 0;
    e->port = 0;
    if (pipe(fds) != 0) {
        perror("pipe");
        return -1;
    }
    const char *argv[48] = {bin, "edge", "--model", model, "--port", "0", "--db", db};
    int n = 8;
    if (config) {
        argv[n++] = "--config";
        argv[n++] = config;
    }
    for (int i = 0; extra && extra[i] && n < 46; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    /* fork + exec rather than posix_spawn: the child asks to be killed when
     * this process dies (PR_SET_PDEATHSIG), so that a test that fails or
     * crashes never leaves an edge behind holding ctest's output pipes. */
    int devnull = open("/dev/null", O_RDONLY);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127); /* the parent died before prctl */
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (devnull >= 0)
        close(devnull);
    close(fds[1]);
    if (pid < 0) {
        perror("edge_proc: fork");
        close(fds[0]);
        return -1;
    }
    e->pid = pid;
    char line[4096];
    size_t got = 0;
    uint64_t end = ep_ms_now() + (uint64_t)timeout_ms;
    int done = 0;
    while (!done && got + 1 < sizeof line && ep_ms_now() < end) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(fds[0], line + got, 1);
        if (r <= 0)
            break; /* exited */
        if (line[got] == '\n')
            done = 1;
        else
            got++;
    }
    line[got] = '\0';
    close(fds[0]);
    const char *h = strstr(line, "sciot edge: ready");
    const char *p = h ? strstr(h, "http=") : NULL;
    if (p) {
        /* http=http://127.0.0.1:PORT: the last ':' before the next blank */
        const char *sp = strchr(p, ' '), *colon = NULL;
        for (const char *c = p; c < (sp ? sp : p + strlen(p)); c++)
            if (*c == ':')
                colon = c;
        if (colon)
            e->port = atoi(colon + 1);
    }
    if (e->port <= 0) {
        fprintf(stderr, "edge_proc: %s edge did not print its ready line within %d ms (got \"%s\")\n", bin,
                timeout_ms, line);
        int st;
        kill(e->pid, SIGKILL);
        waitpid(e->pid, &st, 0);
        e->pid = 0;
        return -1;
    }
    return 0;
}

int ep_stop(ep_proc *e, int timeout_ms)
{
    if (e->pid <= 0)
        return 0;
    int status = 0;
    kill(e->pid, SIGTERM);
    uint64_t end = ep_ms_now() + (uint64_t)timeout_ms;
    while (ep_ms_now() < end) {
        pid_t r = waitpid(e->pid, &status, WNOHANG);
        if (r == e->pid) {
            e->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        ep_sleep_ms(10);
    }
    kill(e->pid, SIGKILL);
    waitpid(e->pid, &status, 0);
    e->pid = 0;
    return -1;
}

int ep_head_run(ep_head *h, const sciot_model *m, const uint8_t sha[32], const void *input, size_t input_len,
                int32_t k, uint32_t op_us)
{
    sciot_arena_info info;
    sciot_error err = {0};
    memset(h, 0, sizeof *h);
    h->m = m;
    h->k = k;
    memcpy(h->sha, sha, 32);
    if (k < 0 || k > m->n_ops || input_len != m->tensors[m->inputs[0]].bytes) {
        fprintf(stderr, "edge_proc: head k=%d: bad split or input of %zu bytes\n", k, input_len);
        return -1;
    }
    if (sciot_engine_arena_size(m, 0, k, &info, &err)) {
        fprintf(stderr, "edge_proc: head [0,%d): %s\n", k, err.msg);
        return -1;
    }
    size_t asz = (info.total_bytes + 63) & ~(size_t)63;
    h->arena = aligned_alloc(64, asz ? asz : 64);
    h->times = calloc((size_t)k + 1, sizeof *h->times);
    if (!h->arena || !h->times)
        goto fail;
    if (sciot_engine_init(&h->e, m, 0, k, h->arena, asz ? asz : 64, &err)) {
        fprintf(stderr, "edge_proc: head [0,%d): %s\n", k, err.msg);
        goto fail;
    }
    memcpy(sciot_engine_tensor(&h->e, m->inputs[0]), input, input_len);
    if (sciot_engine_run(&h->e, 0, k, &err)) {
        fprintf(stderr, "edge_proc: head [0,%d): %s\n", k, err.msg);
        goto fail;
    }
    for (int32_t i = 0; i < k; i++)
        h->times[i] = op_us ? op_us : 500u + (uint32_t)i;
    h->n_cut = sciot_model_cut(m, k, h->cut, (int32_t)(sizeof h->cut / sizeof h->cut[0]));
    if (h->n_cut > SCIOT_WIRE_MAX_TENSORS || h->n_cut > (int32_t)(sizeof h->cut / sizeof h->cut[0])) {
        fprintf(stderr, "edge_proc: split %d: the cut has %d tensors\n", k, h->n_cut);
        goto fail;
    }
    return 0;
fail:
    ep_head_free(h);
    return -1;
}

void ep_head_free(ep_head *h)
{
    free(h->arena);
    free(h->times);
    h->arena = NULL;
    h->times = NULL;
}

uint8_t *ep_head_frame(const ep_head *h, const char *device_id, uint64_t rid, uint8_t flags, uint64_t prev_rid,
                       uint32_t prev_rtt_us, size_t *len)
{
    const sciot_model *m = h->m;
    sciot_error err = {0};
    sciot_wire_frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->version = SCIOT_WIRE_VERSION;
    f->flags = (uint8_t)(SCIOT_WIRE_F_COMPRESS | flags | (h->k == m->n_ops ? SCIOT_WIRE_F_LOCAL : 0));
    f->request_id = rid;
    f->device_id_len = (uint8_t)snprintf(f->device_id, sizeof f->device_id, "%s", device_id);
    memcpy(f->model_sha256, h->sha, 32);
    f->split = (uint32_t)h->k;
    f->prev_request_id = prev_rid;
    f->prev_rtt_us = prev_rtt_us;
    f->n_times = (uint32_t)h->k;
    f->times_in = h->times;
    f->n_tensors = (uint32_t)h->n_cut;
    for (int32_t j = 0; j < h->n_cut; j++) {
        f->tensors[j].index = h->cut[j];
        f->tensors[j].data = sciot_engine_tensor(&h->e, h->cut[j]);
        f->tensors[j].raw_len = (uint32_t)m->tensors[h->cut[j]].bytes;
    }
    size_t cap = sciot_wire_frame_bound(f);
    uint8_t *buf = malloc(cap);
    if (!buf || sciot_wire_encode(f, m, buf, cap, len, &err)) {
        fprintf(stderr, "edge_proc: encode k=%d: %s\n", h->k, err.msg);
        free(buf);
        buf = NULL;
    }
    free(f);
    return buf;
}
