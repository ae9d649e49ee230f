/* cmd_plan.c — `sciot plan --profile FILE [--json]`: the split decision and
 * the cost of every k for one profile (per-operator device and edge times,
 * cut bytes, network). The cost model is the planner's (sciot/planner.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/planjson.h"

static const char help[] =
    "usage: sciot plan --profile FILE [--json]\n"
    "Chooses the split k (operators run on the device, 0..N) with the lowest\n"
    "cost for the profile and prints the cost of every k.\n"
    "FILE is JSON with device_us (N numbers), edge_us (N), cut_bytes (N+1,\n"
    "bytes of the cut at each k), rtt_ms, bandwidth_bytes_per_s (a number or\n"
    "\"inf\"; 0 = no link), and optionally reply_bytes, edge_queue_ms,\n"
    "objective (latency | energy | bytes | weighted), power_w {cpu, tx, idle}\n"
    "and weights {latency, energy, bytes}.\n"
    "--json prints {\"split\":k,\"offloading_layer_index\":k-1 (null for k=0),\n"
    "\"cost\":[N+1 values; null where infeasible]} (ms, mJ, bytes or weighted).\n";

int cmd_plan(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--profile")) {
            if (i + 1 >= argc)
                return cli_error("plan", "--profile needs a FILE");
            path = argv[++i];
        } else if (argv[i][0] == '-') {
            return cli_error("plan", "unknown option '%s'", argv[i]);
        } else {
            return cli_error("plan", "unexpected argument '%s' (use --profile FILE)", argv[i]);
        }
    }
    if (!path)
        return cli_error("plan", "missing --profile FILE (see 'sciot plan --help')");
    cJSON *root = pj_load("plan", path);
    if (!root)
        return 1;
    pj_profile p;
    int rc = pj_profile_parse("plan", path, root, 1, &p);
    cJSON_Delete(root);
    if (rc) {
        pj_profile_free(&p);
        return 1;
    }
    double *cost = malloc(sizeof(double) * (size_t)(p.n + 1));
    if (!cost) {
        pj_profile_free(&p);
        return cli_error("plan", "out of memory");
    }
    sciot_cost_input in = {
        .n_ops = p.n,
        .device_us = p.device_us,
        .edge_us = p.edge_us,
        .up_bytes = p.cut_bytes,
        .reply_bytes = p.reply_bytes,
        .rtt_us = p.rtt_ms * 1000.0,
        .bytes_per_s = p.bandwidth,
        .edge_queue_us = p.edge_queue_ms * 1000.0,
        .objective = p.objective,
        .power = p.power,
        .weights = p.weights,
    };
    sciot_error err = {0};
    int32_t k = -1;
    if (sciot_cost_eval(&in, cost, &k, &err)) {
        rc = cli_error("plan", "%s: %s", path, err.msg);
    } else if (json) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "split", k);
        if (k == 0)
            cJSON_AddNullToObject(out, "offloading_layer_index");
        else
            cJSON_AddNumberToObject(out, "offloading_layer_index", k - 1);
        cJSON *arr = cJSON_AddArrayToObject(out, "cost");
        for (int32_t i = 0; i <= p.n; i++)
            cJSON_AddItemToArray(arr, isfinite(cost[i]) ? cJSON_CreateNumber(cost[i]) : cJSON_CreateNull());
        char *txt = cJSON_PrintUnformatted(out);
        puts(txt);
        free(txt);
        cJSON_Delete(out);
    } else {
        const char *unit = sciot_objective_unit(p.objective);
        printf("split k = %d of %d (%s), %s = %.6g %s\n", (int)k, (int)p.n,
               k == 0 ? "full offload" : k == p.n ? "all local" : "device runs ops 0..k-1", sciot_objective_name(p.objective),
               cost[k], unit);
        printf("offloading_layer_index: ");
        if (k == 0)
            printf("null (full offload)\n");
        else
            printf("%d\n", (int)(k - 1));
        printf("%4s  %14s\n", "k", unit);
        for (int32_t i = 0; i <= p.n; i++) {
            if (isfinite(cost[i]))
                printf("%4d  %14.6g%s\n", (int)i, cost[i], i == k ? "  <- best" : "");
            else
                printf("%4d  %14s\n", (int)i, "infeasible");
        }
    }
    free(cost);
    pj_profile_free(&p);
    return rc;
}
