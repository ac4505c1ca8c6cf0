#!/usr/bin/env python3
"""Overload: offer ringestd twice what it can take, then check that memory
stayed bounded, every datagram is accounted for, and the lossless rate is
back as soon as the flood stops.

One sender core on this 2-core machine cannot outrun ringestd (see the ingest
benchmark), so ringestd runs in a cgroup-v1 CPU quota (default 25% of one core)
to make "more than it can take" reachable. Needs root and the cgroup-v1 cpu
controller at /sys/fs/cgroup/cpu."""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from daemon_harness import Daemon, metric_sum  # noqa: E402

CGROUP = "/sys/fs/cgroup/cpu/ringest-overload"


def cgroup(quota_pct):
    # A short period spreads the budget evenly: with the default 100 ms the
    # daemon would sleep for most of each period and the socket buffer, not
    # the daemon, would decide what is lost.
    os.makedirs(CGROUP, exist_ok=True)
    with open(f"{CGROUP}/cpu.cfs_quota_us", "w") as f:
        f.write("-1")
    with open(f"{CGROUP}/cpu.cfs_period_us", "w") as f:
        f.write("10000")
    with open(f"{CGROUP}/cpu.cfs_quota_us", "w") as f:
        f.write(str(int(quota_pct * 100)))


def rss_peak_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def totals(d):
    m = d.metrics()
    return {
        "received": metric_sum(m, "ringest_received_datagrams_total"),
        "stored": metric_sum(m, "ringest_stored_datagrams_total"),
        "dropped": metric_sum(m, "ringest_dropped_datagrams_total"),
        "kernel": metric_sum(m, "ringest_dropped_datagrams_total", stage="kernel"),
    }


def offer(loadgen, port, rate, seconds, seq_start):
    n = int(rate * seconds)
    out = subprocess.run([loadgen, "-t", f"127.0.0.1:{port}", "-n", str(n), "-r", str(rate),
                          "--seq-start", str(seq_start)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["sent"]


def settle(d, expect):
    deadline = time.time() + 30
    while time.time() < deadline:
        t = totals(d)
        if t["stored"] + t["dropped"] >= expect and metric_sum(d.metrics(), "ringest_queue_depth") == 0:
            time.sleep(0.3)
            return totals(d)
        time.sleep(0.2)
    return totals(d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--quota", type=float, default=25, help="CPU quota for ringestd, percent of one core")
    ap.add_argument("--flood-seconds", type=float, default=60)
    ap.add_argument("--rates", default="20000,40000,60000,80000,100000,120000,150000")
    ap.add_argument("--probe-seconds", type=float, default=10)
    args = ap.parse_args()
    loadgen = f"{args.build}/tools/ringest-loadgen"
    extra = "[receive]\nslots = 8192\nslot_bytes = 2048\n"
    d = Daemon(f"{args.build}/daemon/ringestd", extra=extra, parser_threads=1).start()
    cgroup(args.quota)
    with open(f"{CGROUP}/cgroup.procs", "w") as f:
        f.write(str(d.proc.pid))
    port = d.ports["statsd"]
    sent_total, seq = 0, 0

    lossless = 0
    for rate in [int(r) for r in args.rates.split(",")]:
        before = totals(d)
        sent = offer(loadgen, port, rate, args.probe_seconds, seq)
        seq += sent
        sent_total += sent
        after = settle(d, sent_total)
        lost = after["dropped"] - before["dropped"]
        print(f"probe {rate:>7}/s: sent {sent} lost {int(lost)}", flush=True)
        if lost == 0:
            lossless = rate
        else:
            break
    assert lossless, "no lossless rate found; lower --rates or raise --quota"

    flood = 2 * lossless
    print(f"flood at {flood}/s (2x the lossless {lossless}/s) for {args.flood_seconds:.0f} s", flush=True)
    before = totals(d)
    sent = offer(loadgen, port, flood, args.flood_seconds, seq)
    seq += sent
    sent_total += sent
    # Straight after the flood: the lossless rate again, second by second.
    recovery = []
    for second in range(5):
        b = totals(d)
        s = offer(loadgen, port, lossless, 1, seq)
        seq += s
        sent_total += s
        a = settle(d, sent_total) if second == 4 else totals(d)
        recovery.append((s, int(a["dropped"] - b["dropped"])))
    final = settle(d, sent_total)
    peak_kib = rss_peak_kib(d.proc.pid)
    flood_lost = final["dropped"] - before["dropped"] - sum(l for _, l in recovery)
    assert d.stop() == 0
    dump = subprocess.run([f"{args.build}/tools/ringest-dump", "--count", d.data], capture_output=True, text=True)
    stored_dump = json.loads(dump.stdout)["total"]

    pool_mib = 8192 * 2048 / 2**20
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| CPU quota for ringestd | {args.quota:.0f}% of one core |")
    print(f"| lossless rate ({args.probe_seconds:.0f} s probes) | {lossless:,} datagrams/s |")
    print(f"| flood | {flood:,} datagrams/s for {args.flood_seconds:.0f} s ({sent:,} sent) |")
    print(f"| lost during the flood | {int(flood_lost):,} ({flood_lost / sent:.1%}), by stage and reason in /metrics |")
    print(f"| peak RSS (VmHWM) | {peak_kib / 1024:.1f} MiB (receive pool {pool_mib:.0f} MiB) |")
    print(f"| after the flood, at the lossless rate, per second: sent/lost | "
          f"{', '.join(f'{s}/{l}' for s, l in recovery)} |")
    print(f"| identity: sent = stored + dropped | {sent_total:,} = {int(final['stored']):,} + "
          f"{int(final['dropped']):,} -> {'holds' if sent_total == final['stored'] + final['dropped'] else 'BROKEN'} |")
    print(f"| stored read back by ringest-dump | {stored_dump:,} |")


if __name__ == "__main__":
    main()
