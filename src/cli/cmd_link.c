/* cmd_link.c — `sciot link`: an emulated network link (a TCP proxy with
 * delay, rate, jitter, connection loss and a schedule) in front of a server.
 * The emulator itself is src/experiments/link.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "experiments/link.h"

static const char help[] =
    "usage: sciot link --to HOST:PORT [--listen HOST:PORT] [--delay-ms D] [--jitter-ms J]\n"
    "                  [--rate BYTES_PER_S] [--loss-connect P] [--schedule FILE]\n"
    "                  [--handshake] [--queue-bytes N] [--seed N] [--quiet]\n"
    "A TCP proxy that emulates a network link between its clients and --to, per\n"
    "direction: each chunk leaves D ms after it arrived (a 1-byte ping takes\n"
    "2*D), at most BYTES_PER_S bytes/s leave (a token bucket shared by all\n"
    "connections of that direction, like one radio link).\n"
    "\n"
    "  --to HOST:PORT      the server (e.g. the port of 'sciot edge')\n"
    "  --listen HOST:PORT  where clients connect (default 127.0.0.1:0 = a free port)\n"
    "  --delay-ms D        one-way delay of each direction (default 0)\n"
    "  --jitter-ms J       each chunk's delay is D +- J (uniform, >= 0); byte order kept\n"
    "  --rate R            bytes/s per direction; k, M, G suffixes (x1000); 0 = unlimited\n"
    "  --loss-connect P    reset a fraction P of new connections (an unreachable server)\n"
    "  --schedule FILE     JSON [{\"at_s\": t, \"delay_ms\": D, \"jitter_ms\": J, \"rate\": R,\n"
    "                      \"loss_connect\": P, \"down\": bool}, ...]: changes at t seconds\n"
    "                      after start; down resets every connection and refuses new\n"
    "                      ones until a later step sets down false\n"
    "  --handshake         charge one round trip (2*D) for each connection set-up\n"
    "  --queue-bytes N     per connection and direction, stop reading beyond N bytes\n"
    "                      (back-pressure; default 4194304)\n"
    "  --seed N            random source of jitter and loss (default 1)\n"
    "  --quiet             no log of schedule steps and upstream failures on stderr\n"
    "Prints 'sciot link: ready HOST:PORT -> HOST:PORT ...' when it listens; on SIGINT or\n"
    "SIGTERM it prints its counters on stderr and exits 0. Details: docs/EXPERIMENTS.md.\n";

/* A non-negative number with an optional k/M/G (x1000) suffix. */
static int parse_amount(const char *s, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'M')
        v *= 1e6, end++;
    else if (*end == 'G')
        v *= 1e9, end++;
    if (*end || !isfinite(v) || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

int cmd_link(int argc, char **argv)
{
    elink_config cfg;
    sciot_error err = {0};
    elink_config_defaults(&cfg);
    cfg.log = stderr;
    const char *schedule = NULL;
    int have_to = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return 0;
        }
        if (!strcmp(a, "--handshake")) {
            cfg.handshake = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            cfg.log = NULL;
            continue;
        }
        if (!v)
            return cli_error("link", "unknown or incomplete option '%s' (see 'sciot link --help')", a);
        double x;
        if (!strcmp(a, "--to")) {
            if (elink_parse_addr(v, cfg.to_host, &cfg.to_port, &err))
                return cli_error("link", "--to %s", err.msg);
            if (cfg.to_port == 0)
                return cli_error("link", "--to '%s': the port must be 1..65535", v);
            have_to = 1;
        } else if (!strcmp(a, "--listen")) {
            if (elink_parse_addr(v, cfg.listen_host, &cfg.listen_port, &err))
                return cli_error("link", "--listen %s", err.msg);
        } else if (!strcmp(a, "--delay-ms") || !strcmp(a, "--jitter-ms")) {
            if (parse_amount(v, 600000, &x))
                return cli_error("link", "%s '%s': expected milliseconds in [0, 600000]", a, v);
            *(!strcmp(a, "--delay-ms") ? &cfg.delay_ms : &cfg.jitter_ms) = x;
        } else if (!strcmp(a, "--rate")) {
            if (parse_amount(v, 1e12, &x))
                return cli_error("link", "--rate '%s': expected bytes/s >= 0 (e.g. 1000000 or 1M; 0 = unlimited)", v);
            cfg.rate = x;
        } else if (!strcmp(a, "--loss-connect")) {
            char *end;
            x = strtod(v, &end);
            if (end == v || *end || !(x >= 0 && x <= 1))
                return cli_error("link", "--loss-connect '%s': expected a probability in [0, 1]", v);
            cfg.loss_connect = x;
        } else if (!strcmp(a, "--queue-bytes")) {
            long n = cli_parse_long(v);
            if (n < 1)
                return cli_error("link", "--queue-bytes '%s': expected a positive integer", v);
            cfg.queue_bytes = (size_t)n;
        } else if (!strcmp(a, "--seed")) {
            long n = cli_parse_long(v);
            if (n < 0)
                return cli_error("link", "--seed '%s': expected a non-negative integer", v);
            cfg.seed = (uint64_t)n;
        } else if (!strcmp(a, "--schedule")) {
            schedule = v;
        } else {
            return cli_error("link", "unknown option '%s' (see 'sciot link --help')", a);
        }
        i++;
    }
    if (!have_to)
        return cli_error("link", "no server: give --to HOST:PORT (see 'sciot link --help')");
    elink_step *steps = NULL;
    if (schedule) {
        if (elink_schedule_load(schedule, &steps, &cfg.n_schedule, &err))
            return cli_error("link", "%s", err.msg);
        cfg.schedule = steps;
    }

    /* SIGINT/SIGTERM arrive on a descriptor the event loop watches */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        free(steps);
        return cli_error("link", "signalfd: %s", strerror(errno));
    }
    elink *l;
    if (elink_create(&l, &cfg, &err)) {
        close(sfd);
        free(steps);
        return cli_error("link", "%s", err.msg);
    }
    printf("sciot link: ready %s:%d -> %s:%d delay_ms=%g jitter_ms=%g rate=%.0f loss_connect=%g schedule=%zu\n",
           cfg.listen_host, elink_port(l), cfg.to_host, cfg.to_port, cfg.delay_ms, cfg.jitter_ms, cfg.rate,
           cfg.loss_connect, cfg.n_schedule);
    fflush(stdout);
    int rc = elink_run(l, sfd, &err);
    struct signalfd_siginfo si;
    const char *why = "stopped";
    if (rc == 0 && read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        why = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
    elink_stats st;
    elink_get_stats(l, &st);
    fprintf(stderr,
            "sciot link: %s after %.1f s: accepted=%llu closed=%llu aborted=%llu open=%llu refused_down=%llu "
            "refused_loss=%llu upstream_failures=%llu bytes_up=%llu bytes_down=%llu max_queued_up=%zu "
            "max_queued_down=%zu steps=%zu\n",
            why, elink_uptime(l), (unsigned long long)st.accepted, (unsigned long long)st.closed,
            (unsigned long long)st.aborted, (unsigned long long)st.open, (unsigned long long)st.refused_down,
            (unsigned long long)st.refused_loss, (unsigned long long)st.upstream_failures,
            (unsigned long long)st.bytes[0], (unsigned long long)st.bytes[1], st.max_queued[0], st.max_queued[1],
            st.steps_applied);
    elink_destroy(l);
    close(sfd);
    free(steps);
    if (rc)
        return cli_error("link", "%s", err.msg);
    return 0;
}
