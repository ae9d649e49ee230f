/* link.h — an emulated network link in user space: a TCP proxy that adds
 * what a Wi-Fi hop adds (`sciot link`, docs/EXPERIMENTS.md).
 *
 * The kernel of the experiment machines has no netem, so the link is a
 * process in the path: devices connect to the link's port, the link connects
 * to the real server (`sciot edge`) and moves the bytes, per direction
 * (up = client → server, down = server → client), through
 *
 *   1. a delay line: every chunk read from a socket is stamped with its
 *      arrival time t and may leave at t + delay (± jitter, uniform, never
 *      below 0; a chunk never leaves before the previous chunk of the same
 *      connection and direction, so byte order is kept);
 *   2. a token bucket of `rate` bytes/s shared by every connection of that
 *      direction, like the air time of one radio link (0: unlimited). An
 *      idle bucket holds 1 ms of traffic, so a message is not sped up by
 *      more than 1 ms and a long transfer runs at `rate` and no faster.
 *      Only TCP payload bytes count (no headers).
 *
 * A 1-byte ping therefore takes 2 * delay; a bulk transfer runs at `rate`.
 * Ends of streams (FIN) travel through the delay line like data, so a
 * half-close reaches the other side after `delay`. Connection set-up is
 * instant (loopback), unless `handshake` charges one round trip before the
 * first client byte leaves, as a TCP handshake over the link would.
 *
 * Failures: `loss_connect` = probability that a new connection is reset as
 * soon as it is accepted (an unreachable edge); `down` resets every open
 * connection and every new one until the link is up again. The schedule
 * changes delay, jitter, rate, loss and up/down at given times (seconds since
 * the link started); chunks already queued keep their departure times.
 *
 * Buffering is bounded: a socket is not read while its direction of the
 * connection holds more than `queue_bytes` (payload plus ~40 bytes per
 * chunk, so a sender of tiny writes is bounded too; TCP back-pressure
 * reaches the sender). One thread, an epoll loop over non-blocking sockets; the timeout
 * of each wait is the next instant something can happen (a chunk's
 * departure, enough tokens, a schedule step), so an idle link sleeps.
 * Linux only (epoll). */
#ifndef SCIOT_EXPERIMENTS_LINK_H
#define SCIOT_EXPERIMENTS_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sciot/status.h"

/* What a schedule step sets (the others keep their current values). */
enum {
    ELINK_SET_DELAY = 1u << 0,
    ELINK_SET_JITTER = 1u << 1,
    ELINK_SET_RATE = 1u << 2,
    ELINK_SET_DOWN = 1u << 3,
    ELINK_SET_LOSS = 1u << 4
};

typedef struct {
    double at_s;       /* seconds since the link became ready */
    unsigned set;      /* ELINK_SET_* */
    double delay_ms;   /* one-way, each direction */
    double jitter_ms;
    double rate;       /* bytes/s per direction, 0 = unlimited */
    double loss_connect;
    int down;
} elink_step;

typedef struct {
    char listen_host[64]; /* IPv4 literal */
    int listen_port;      /* 0: any free port (elink_port tells which) */
    char to_host[64];
    int to_port;
    double delay_ms, jitter_ms, rate, loss_connect;
    int handshake;       /* charge one RTT for connection set-up */
    size_t queue_bytes;  /* per connection and direction; 0: 4 MiB */
    uint64_t seed;       /* jitter and loss draws */
    const elink_step *schedule; /* sorted by at_s (elink_schedule_parse sorts) */
    size_t n_schedule;
    FILE *log;           /* schedule steps, upstream failures; NULL: quiet */
} elink_config;

typedef struct {
    uint64_t accepted;          /* connections accepted and proxied */
    uint64_t refused_down;      /* reset because the link was down */
    uint64_t refused_loss;      /* reset by loss_connect */
    uint64_t upstream_failures; /* the server refused or failed */
    uint64_t aborted;           /* reset by a 'down' step or a socket error */
    uint64_t closed;            /* ended with both FINs delivered */
    uint64_t open;              /* still open */
    uint64_t bytes[2];          /* delivered: [0] up, [1] down */
    size_t max_queued[2];       /* largest queue of one connection, bytes */
    size_t steps_applied;
} elink_stats;

typedef struct elink elink;

/* Default values: 127.0.0.1:0 -> (none), no delay, unlimited, 4 MiB queues. */
void elink_config_defaults(elink_config *cfg);

/* "HOST:PORT" or "PORT" (host 127.0.0.1); HOST is an IPv4 literal. */
sciot_status elink_parse_addr(const char *s, char host[64], int *port, sciot_error *err);

/* A schedule: a JSON array of objects {"at_s": t, "delay_ms": D,
 * "jitter_ms": J, "rate": R, "loss_connect": P, "down": bool}; at_s is
 * required, the rest optional; unknown keys and out-of-range values are
 * errors. The steps come back sorted by at_s (stable); free() them. */
sciot_status elink_schedule_parse(const char *json, elink_step **steps, size_t *n, sciot_error *err);
sciot_status elink_schedule_load(const char *path, elink_step **steps, size_t *n, sciot_error *err);

/* Bind and listen (SO_REUSEADDR); the upstream is connected per client.
 * The config (and its schedule) must outlive the link. */
sciot_status elink_create(elink **out, const elink_config *cfg, sciot_error *err);
int elink_port(const elink *l);
/* Serve until stop_fd (e.g. a signalfd) is readable: 0; -1 on a fatal
 * error of the event loop (message in err). */
int elink_run(elink *l, int stop_fd, sciot_error *err);
void elink_get_stats(const elink *l, elink_stats *st);
/* Seconds since elink_create. */
double elink_uptime(const elink *l);
/* Closes every socket (open connections are reset). NULL is fine. */
void elink_destroy(elink *l);

#endif
