#!/usr/bin/env python3
"""Runs `sciot sim --json` on the planner scenarios over seeds 1..10 and
prints the markdown tables of docs/PLANNER.md.
    python3 experiments/scenarios/table.py [path/to/sciot]   (default build/sciot)
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build", "sciot")
SEEDS = range(1, 11)


def sim(name, seed, *extra):
    out = subprocess.run([BIN, "sim", os.path.join(HERE, name + ".json"), "--json", "--seed", str(seed)] + list(extra),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def worst_rec(r):
    v = [x if x is not None else float("inf") for x in r["reconverge_requests"]]
    return max(v) if v else None


def fmt_rec(x):
    return "-" if x is None else ("never" if x == float("inf") else "%d" % x)


def row(name, *extra):
    R = [sim(name, s, *extra) for s in SEEDS]
    first = R[0]
    mean = lambda k: sum(r[k] for r in R) / len(R)
    mx = lambda k: max(r[k] for r in R)
    recs = [worst_rec(r) for r in R]
    rec = None if recs[0] is None else max(recs)
    return ("| %s%s | %s | %.2f / %.2f / %.2f | %.2f / %.2f | %.1f | %.1f / %.1f | %s | %s | %.1f | %.1f | %.1f |" % (
        name, (" `" + " ".join(extra) + "`") if extra else "",
        ",".join(str(p["oracle_k"]) for p in first["phases"]),
        first["planner_ms"], first["oracle_ms"], first["best_static_ms"],
        mean("regret_pct"), mx("regret_pct"), mean("decision_accuracy_pct"),
        mean("changes_per_100"), mx("changes_per_100"),
        fmt_rec(rec), str(first["reconverge_requests"]).replace("None", "null"),
        mean("forced_local"), mean("explorations"), mean("retests")))


def main():
    print("| scenario | oracle k per phase | planner / oracle / best static ms (seed 1) | regret % mean / max | "
          "accuracy % | changes/100 mean / max | reconverge worst (10 seeds) | reconverge (seed 1) | "
          "forced local | explorations | re-tests |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ("pd_stationary", "fomo_stationary", "esp32_float_stationary", "syn_stationary"):
        print(row(name))
    print(row("syn_stationary", "--retest-needed"))
    for name in ("syn_bw_step", "syn_rtt_step", "syn_device_slowdown", "pd_bw_step", "syn_edge_down", "fomo_edge_down"):
        print(row(name))
        if name.startswith("syn"):
            print(row(name, "--retest-needed"))
    if os.environ.get("SCIOT_MODELS"):
        print(row("model_fomo_bench"))
    print()
    print("| exploration (syn_explore) | forced local / 1000 | explorations / 1000 | regret % mean / max | "
          "requests to find the faster device: mean / worst |")
    print("|---|---|---|---|---|")
    for label, extra in (("adaptive (default)", []), ("fixed p = 0.1, no adaptive", ["--no-adaptive", "--local-p", "0.1"]),
                         ("none", ["--no-adaptive"]), ("adaptive + p = 0.1", ["--local-p", "0.1"])):
        R = [sim("syn_explore", s, *extra) for s in SEEDS]
        recs = [worst_rec(r) for r in R]
        fin = [x for x in recs if x != float("inf")]
        print("| %s | %.1f | %.1f | %.2f / %.2f | %s / %s |" % (
            label, sum(r["forced_local"] for r in R) / len(R), sum(r["explorations"] for r in R) / len(R),
            sum(r["regret_pct"] for r in R) / len(R), max(r["regret_pct"] for r in R),
            ("%.0f" % (sum(fin) / len(fin))) if fin else "never", fmt_rec(max(recs))))


if __name__ == "__main__":
    main()
