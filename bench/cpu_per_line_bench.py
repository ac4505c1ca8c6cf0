#!/usr/bin/python3
"""CPU per line of two ringestd builds, side by side in one run.

For each load (plain StatsD counters, gauges and timers, ~28 bytes a line:
30 lines per datagram at 50k and 100k datagrams/s, 1 line at 20k/s), each
build in turn runs one ringestd (2 shards, durability interval) that takes
4 s of load from the newer build's ringest-loadgen; CPU is the daemon's
utime + stime (/proc/PID/stat) from before the load until every datagram is
stored, divided by the lines sent. Loss is 1 - stored / sent.

Usage: bench/cpu_per_line_bench.py BUILD [BASELINE_BUILD]
       bench/cpu_per_line_bench.py BUILD --storage 'direct_io = false' --storage 'direct_io = true'
(each --storage is one variant of the [storage] section, run side by side with
the same build)"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from daemon_harness import Daemon, metric_sum  # noqa: E402
from process_cpu import process_cpu_ns  # noqa: E402

LOADS = [(30, 50000), (30, 100000), (1, 20000)]  # (lines per datagram, datagrams/s)
SECONDS = 4


def run(build, loadgen, lines, rate, storage=""):
    d = Daemon(os.path.join(build, "daemon", "ringestd"), storage_extra=storage).start()
    try:
        cpu0 = process_cpu_ns(d.proc.pid)
        gen = subprocess.run([loadgen, "--target", f"127.0.0.1:{d.ports['statsd']}", "--format", "statsd-plain",
                              "--lines", str(lines), "--count", str(rate * SECONDS), "--rate", str(rate)],
                             capture_output=True, text=True, check=True)
        sent = json.loads(gen.stdout.strip().splitlines()[-1])
        m = d.wait_quiet(0, timeout_s=30, allow_unseen=True)
        cpu1 = process_cpu_ns(d.proc.pid)
    finally:
        d.stop()
    stored = metric_sum(m, "ringest_stored_datagrams_total")
    return (cpu1 - cpu0) / sent["lines"], 1 - stored / sent["sent"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("baseline", nargs="?")
    ap.add_argument("--storage", action="append", default=[], help="a [storage] variant, e.g. 'direct_io = false'")
    ap.add_argument("--rounds", type=int, default=1, help="run every variant this many times, interleaved")
    args = ap.parse_args()
    loadgen = os.path.join(args.build, "tools", "ringest-loadgen")
    builds = [("baseline", args.baseline, "")] if args.baseline else []
    if args.storage:
        builds += [(v, args.build, v) for v in args.storage]
    else:
        builds.append(("this build", args.build, ""))
    print("| load | build | CPU ns per line | loss |")
    print("|---|---|---:|---:|")
    for lines, rate in LOADS:
        for _ in range(args.rounds):
            for name, build, storage in builds:
                ns, loss = run(build, loadgen, lines, rate, storage)
                print(f"| {lines} line(s) @ {rate:,}/s | {name} | {ns:,.0f} | {loss * 100:.2f}% |", flush=True)


if __name__ == "__main__":
    main()
