/* main.c — `sciot SUBCOMMAND ...`: dispatch, shared helpers. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: sciot <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL [--json]            operators, shapes, MACs, cut and arena bytes per split\n"
    "  run MODEL INPUT... [--json]       run the model on raw tensors or images\n"
    "  bench MODEL [--runs N] [--json]   per-operator timing\n"
    "  edge [--config F] [--model M]     the edge server (HTTP, WebSocket, MQTT)\n"
    "  device --model M [--edge URL]     a device: split inferences with an edge, local fallback\n"
    "  plan --profile FILE [--json]      split decision and cost of every k for a profile\n"
    "  sim SCENARIO [--json]             planner vs oracle in a trace-driven simulation\n"
    "  link --to HOST:PORT [--rate R]    an emulated network link (TCP proxy: delay, rate, schedule)\n"
    "\n"
    "Run 'sciot <command> --help' for the options of a command.\n";

int cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sciot %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

long cli_parse_long(const char *s)
{
    char *end;
    if (!s || !*s)
        return -1;
    long v = strtol(s, &end, 10);
    if (*end || v < 0)
        return -1;
    return v;
}

int cli_open(const char *cmd, const char *path, cli_session *s)
{
    sciot_error err = {0};
    sciot_arena_info info;
    memset(s, 0, sizeof *s);
    if (sciot_model_load_file(&s->model, path, &err))
        return cli_error(cmd, "%s", err.msg);
    if (sciot_engine_arena_size(&s->model, 0, s->model.n_ops, &info, &err)) {
        sciot_error_prefix(&err, path);
        sciot_model_free(&s->model);
        return cli_error(cmd, "%s", err.msg);
    }
    s->arena = aligned_alloc(64, (info.total_bytes + 63) & ~(size_t)63);
    if (!s->arena) {
        sciot_model_free(&s->model);
        return cli_error(cmd, "out of memory for a %zu-byte arena", info.total_bytes);
    }
    if (sciot_engine_init(&s->engine, &s->model, 0, s->model.n_ops, s->arena, info.total_bytes, &err)) {
        sciot_error_prefix(&err, path);
        cli_close(s);
        return cli_error(cmd, "%s", err.msg);
    }
    return 0;
}

void cli_fill_random_inputs(cli_session *s)
{
    const sciot_model *m = &s->model;
    uint32_t x = 1;
    for (int32_t k = 0; k < m->n_inputs; k++) {
        sciot_fill_random(&m->tensors[m->inputs[k]], sciot_engine_tensor(&s->engine, m->inputs[k]), &x);
    }
}

void cli_close(cli_session *s)
{
    free(s->arena);
    s->arena = NULL;
    sciot_model_free(&s->model);
}

int main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "inspect"))
        return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "edge"))
        return cmd_edge(argc - 1, argv + 1);
    if (!strcmp(cmd, "device"))
        return cmd_device(argc - 1, argv + 1);
    if (!strcmp(cmd, "plan"))
        return cmd_plan(argc - 1, argv + 1);
    if (!strcmp(cmd, "sim"))
        return cmd_sim(argc - 1, argv + 1);
    if (!strcmp(cmd, "link"))
        return cmd_link(argc - 1, argv + 1);
    if (!strcmp(cmd, "--version")) {
        puts("sciot 0.1.0");
        return 0;
    }
    fprintf(stderr, "sciot: unknown command '%s' (try 'sciot --help')\n", cmd);
    return 2;
}
