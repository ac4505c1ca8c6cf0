#!/usr/bin/env python3
"""Highest offered rate with zero loss, side by side in one run:
(a) ringest-ceiling, a recvmmsg receiver that only counts — the ceiling;
(b) ringestd end to end (parse + append, durability "interval").
Load: 1-line StatsD datagrams from ringest-loadgen at a ladder of rates.
CPU per datagram comes from getrusage (ceiling) and /proc/PID/stat (ringestd)."""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from daemon_harness import Daemon, metric_sum  # noqa: E402
from process_cpu import process_cpu_ns as proc_cpu_ns  # noqa: E402




def send(loadgen, port, rate, seconds):
    count = int(rate * seconds) if rate else int(400_000 * seconds)
    out = subprocess.run([loadgen, "-t", f"127.0.0.1:{port}", "-n", str(count), "-r", str(rate)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_ceiling(build, rate, seconds):
    p = subprocess.Popen([f"{build}/bench/ringest-ceiling", "500"], stdout=subprocess.PIPE, text=True)
    port = json.loads(p.stdout.readline())["port"]
    rep = send(f"{build}/tools/ringest-loadgen", port, rate, seconds)
    res = json.loads(p.stdout.readline())
    p.wait()
    return rep, res["received"], res["cpu_ns"]


def run_ringestd(build, rate, seconds):
    d = Daemon(f"{build}/daemon/ringestd").start()
    cpu0 = proc_cpu_ns(d.proc.pid)
    rep = send(f"{build}/tools/ringest-loadgen", d.ports["statsd"], rate, seconds)
    m = d.wait_quiet(rep["sent"])
    cpu = proc_cpu_ns(d.proc.pid) - cpu0
    stored = metric_sum(m, "ringest_stored_datagrams_total")
    d.stop()
    return rep, int(stored), cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rates", default="50000,100000,150000,200000,250000,300000,350000,0",
                    help="offered rates to try, datagrams/s; 0 = as fast as the sender goes")
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    rows = []
    best = {"ceiling": (0, 0), "ringestd": (0, 0)}
    for rate in rates:
        for name, fn in (("ceiling", run_ceiling), ("ringestd", run_ringestd)):
            rep, got, cpu = fn(args.build, rate, args.seconds)
            sent = rep["sent"]
            lost = sent - got
            ns = cpu / got if got else 0
            rows.append((name, rate or "max", int(rep["rate"]), sent, got, lost, ns))
            print(f"{name:9} offered {rate or 'max':>7} achieved {int(rep['rate']):>7}/s sent {sent:>8} "
                  f"stored {got:>8} lost {lost:>6} cpu {ns:6.0f} ns/datagram", flush=True)
            if lost == 0 and rep["rate"] > best[name][0]:
                best[name] = (rep["rate"], ns)
    c, r = best["ceiling"], best["ringestd"]
    print()
    print("| receiver | highest zero-loss rate (datagrams/s) | CPU ns per datagram at that rate |")
    print("|---|---|---|")
    print(f"| ceiling (recvmmsg, count only) | {c[0]:,.0f} | {c[1]:,.0f} |")
    print(f"| ringestd (parse + append, interval) | {r[0]:,.0f} | {r[1]:,.0f} |")
    print(f"\nratio ringestd / ceiling: {r[0] / c[0]:.2f}" if c[0] else "\nno zero-loss rate for the ceiling")


if __name__ == "__main__":
    main()
