#!/usr/bin/env python3
"""Writes the planner scenarios of experiments/scenarios/*.json (see docs/PLANNER.md).

Realistic profiles: edge times are `sciot bench --json` medians of the int8
models on the x86 edge (bench/*_edge_x86.json); an ESP32-S3-class device is
100-300x slower per operator (a fixed, seeded factor per operator, total
~50 ms for person_detect, as published for the ESP32-S3 with optimised
kernels); bytes on the wire are the RLE-compressed frame bytes per k from
`sciot inspect --json` (inspect/*.json). The float32 FOMO profile is the
reference system's real ESP32-S3 measurement (shared/profiles). Synthetic
profiles put the optimum in the middle of the model so that every change
moves it. Inline arrays keep the scenarios self-contained: the tests need
no model. Re-run after changing the inputs:
    python3 experiments/scenarios/gen_scenarios.py
"""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "shared")


def load(rel):
    with open(os.path.join(HERE, rel)) as f:
        return json.load(f)


def esp32_class(edge_us, seed):
    rng = random.Random(seed)
    return [round(max(t, 0.5) * rng.uniform(100, 300), 1) for t in edge_us]


def write(name, desc, prof, phases, requests=1000, noise=0.1, seed=1, **extra):
    s = {"description": desc, "device_us": prof["device_us"], "edge_us": prof["edge_us"],
         "cut_bytes": prof["cut_bytes"], "noise_cv": noise, "requests": requests, "seed": seed,
         "phases": phases}
    s.update(extra)
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(s, f, indent=1)
        f.write("\n")


def int8_profile(model, seed):
    bench = load("bench/%s_edge_x86.json" % model)
    insp = load("inspect/%s.json" % model)
    edge = [round(max(o["median_us"], 0.5), 1) for o in bench["operators"]]
    return {"device_us": esp32_class(edge, seed), "edge_us": edge,
            "cut_bytes": [s["frame_bytes"] for s in insp["splits"]]}


def synthetic():
    # 16 operators (54 ms on the device, 40x the edge): a light stem that
    # shrinks a 50 kB input quickly, heavier blocks later. The best split
    # moves with every condition: k = 2 at 5 MB/s, 7 at 0.5 MB/s, 5 at
    # 1 MB/s (2 with the device 4x slower), local with a 100 ms RTT.
    dev = [1500, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 5000, 6000, 6000, 5000, 4000, 3000, 2000, 1000]
    edge = [round(d / 40, 1) for d in dev]
    cut = [50000, 40000, 20000, 16000, 12000, 8000, 6000, 3000, 3000, 2000, 2000, 1500, 1000, 800, 400, 200, 16]
    return {"device_us": dev, "edge_us": edge, "cut_bytes": cut}


def main():
    pd = int8_profile("person_detect", 7)
    fomo = int8_profile("fomo_face", 11)
    with open(os.path.join(SHARED, "profiles", "sciot_esp32s3_fomo_float.json")) as f:
        ref = json.load(f)
    flt = {k: ref[k] for k in ("device_us", "edge_us", "cut_bytes")}
    syn = synthetic()
    wifi = {"at": 0, "rtt_ms": 10, "bandwidth_bytes_per_s": 1e6}

    write("pd_stationary", "person_detect int8, ESP32-S3-class device, Wi-Fi 1 MB/s 10 ms, 10% noise", pd, [wifi])
    write("fomo_stationary", "fomo_face int8, ESP32-S3-class device, Wi-Fi 1 MB/s 10 ms, 10% noise", fomo, [wifi])
    write("esp32_float_stationary", "reference FOMO float32, real ESP32-S3 and PC edge times, Wi-Fi 2 MB/s 20 ms",
          flt, [{"at": 0, "rtt_ms": 20, "bandwidth_bytes_per_s": 2e6}])
    write("syn_stationary", "synthetic 16-op profile, optimum inside the model, 1 MB/s 10 ms, 10% noise", syn,
          [{"at": 0, "rtt_ms": 10, "bandwidth_bytes_per_s": 1e6}])
    write("syn_bw_step", "synthetic: bandwidth 5 MB/s, x10 down at 300, x10 up at 600 (RTT 5 ms)", syn,
          [{"at": 0, "rtt_ms": 5, "bandwidth_bytes_per_s": 5e6},
           {"at": 300, "bandwidth_bytes_per_s": 5e5},
           {"at": 600, "bandwidth_bytes_per_s": 5e6}])
    write("syn_rtt_step", "synthetic: RTT 5 ms -> 100 ms at 300, back to 5 ms at 600 (2 MB/s)", syn,
          [{"at": 0, "rtt_ms": 5, "bandwidth_bytes_per_s": 2e6},
           {"at": 300, "rtt_ms": 100},
           {"at": 600, "rtt_ms": 5}])
    write("syn_device_slowdown", "synthetic: device x4 slower at 300, back at 600 (1 MB/s, 10 ms)", syn,
          [{"at": 0, "rtt_ms": 10, "bandwidth_bytes_per_s": 1e6},
           {"at": 300, "device_slowdown": 4},
           {"at": 600, "device_slowdown": 1}])
    write("syn_edge_down", "synthetic: edge down from 300 to 400 (1 MB/s, 10 ms)", syn,
          [{"at": 0, "rtt_ms": 10, "bandwidth_bytes_per_s": 1e6},
           {"at": 300, "edge_down": True},
           {"at": 400, "edge_down": False}])
    write("fomo_edge_down", "fomo_face ESP32-class: edge down from 300 to 400 (1 MB/s, 10 ms)", fomo,
          [wifi, {"at": 300, "edge_down": True}, {"at": 400, "edge_down": False}])
    write("pd_bw_step", "person_detect ESP32-class: 2 MB/s, x10 down at 300 (local wins), x10 up at 600", pd,
          [{"at": 0, "rtt_ms": 10, "bandwidth_bytes_per_s": 2e6},
           {"at": 300, "bandwidth_bytes_per_s": 2e5},
           {"at": 600, "bandwidth_bytes_per_s": 2e6}])
    write("syn_explore", "synthetic: a busy device (4x slower) becomes 16x faster at 400 while the planner "
          "offloads everything (5 MB/s, 10 ms): a change only exploration can see", syn,
          [{"at": 0, "rtt_ms": 10, "bandwidth_bytes_per_s": 5e6, "device_slowdown": 4},
           {"at": 400, "device_slowdown": 0.25}])


if __name__ == "__main__":
    main()
