#!/usr/bin/python3
"""ringestd at rest: CPU and wake-ups per second with no traffic.

One ringestd (2 shards, a StatsD listener, the metrics endpoint, durability
interval) gets a short burst of traffic, so its log has written, synced and
gone quiet, then nothing for --seconds. Over that quiet time: utime + stime of
the process (/proc/PID/stat, 10 ms ticks, hence the long window) and the
context switches of each thread (/proc/PID/task/*/status), i.e. how often
each one woke up.

Usage: bench/idle_bench.py BUILD_DIR [--seconds 30]"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from daemon_harness import Daemon  # noqa: E402
from process_cpu import process_cpu_ns  # noqa: E402


def switches(pid):
    """{thread id: (name, voluntary + involuntary context switches)}."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            n = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
            out[tid] = (name, n)
        except OSError:
            pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    d = Daemon(os.path.join(args.build, "daemon", "ringestd")).start()
    try:
        subprocess.run([os.path.join(args.build, "tools", "ringest-loadgen"), "--target",
                        f"127.0.0.1:{d.ports['statsd']}", "--count", "1000", "--rate", "1000"],
                       capture_output=True, check=True)
        d.wait_quiet(1000)
        time.sleep(2)  # past the last interval sync
        pid = d.proc.pid
        cpu0, sw0, t0 = process_cpu_ns(pid), switches(pid), time.time()
        time.sleep(args.seconds)
        cpu1, sw1, t1 = process_cpu_ns(pid), switches(pid), time.time()
    finally:
        d.stop()
    span = t1 - t0
    print(f"idle for {span:.1f} s: {(cpu1 - cpu0) / 1e6 / span:.2f} ms CPU per second")
    print("| thread | wake-ups per second |")
    print("|---|---:|")
    total = 0.0
    for tid, (name, n) in sorted(sw1.items()):
        rate = (n - sw0.get(tid, (name, 0))[1]) / span
        total += rate
        print(f"| {name} ({tid}) | {rate:.1f} |")
    print(f"| all | {total:.1f} |")


if __name__ == "__main__":
    main()
