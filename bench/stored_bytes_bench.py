#!/usr/bin/python3
"""Stored bytes against wire bytes: what the segment log costs per line.

For each load, one ringestd (2 shards, durability interval) takes N datagrams
from ringest-loadgen on loopback; once all are stored, the bytes the log wrote
(`ringest_log_bytes_written_total`: batch headers and records, the segment
headers excepted) are divided by the payload bytes sent. Rates are low enough
that nothing is dropped: this measures size, not speed, so it gives the same
answer on a busy machine. With --compression, each load runs again with that
batch compression.

ringest-loadgen's default vocabulary is small (100 metric names, 20 host
tag values), so most strings repeat within a batch; the high-cardinality
rows draw from a million names and 100,000 hosts instead.

Usage: bench/stored_bytes_bench.py BUILD_DIR [--count N] [--compression zstd]"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from daemon_harness import Daemon, metric_sum  # noqa: E402

# (label, loadgen format, lines per datagram, listener format, more loadgen arguments)
HIGH_CARDINALITY = ["--names", "1000000", "--hosts", "100000"]
LOADS = [
    ("StatsD (DogStatsD tags), 1 line", "statsd", 1, "statsd", []),
    ("StatsD (DogStatsD tags), 30 lines", "statsd", 30, "statsd", []),
    ("StatsD (DogStatsD tags), 30 lines, 1M names × 100k hosts", "statsd", 30, "statsd", HIGH_CARDINALITY),
    ("StatsD plain counters/gauges/timers, 30 lines", "statsd-plain", 30, "statsd", []),
    ("StatsD plain, 30 lines, 1M names", "statsd-plain", 30, "statsd", HIGH_CARDINALITY),
    ("InfluxDB line protocol, 10 lines", "influx", 10, "influx", []),
    ("Graphite tagged, 10 lines", "graphite", 10, "graphite", []),
    ("syslog RFC 5424, 1 message", "syslog5424", 1, "syslog", []),
    ("syslog RFC 3164, 1 message", "syslog3164", 1, "syslog", []),
]


def run(build, load, count, compression):
    label, fmt, lines, listener, more = load
    storage = f'compression = "{compression}"' if compression else ""
    d = Daemon(os.path.join(build, "daemon", "ringestd"), listeners=[("in", "127.0.0.1:0", listener)],
               storage_extra=storage).start()
    try:
        gen = subprocess.run([os.path.join(build, "tools", "ringest-loadgen"), "--target",
                              f"127.0.0.1:{d.ports['in']}", "--format", fmt, "--lines", str(lines),
                              "--count", str(count), "--rate", "20000", *more],
                             capture_output=True, text=True, check=True)
        sent = json.loads(gen.stdout.strip().splitlines()[-1])
        m = d.wait_quiet(count)
        stored = metric_sum(m, "ringest_stored_datagrams_total")
        written = metric_sum(m, "ringest_log_bytes_written_total")
        records = metric_sum(m, "ringest_log_records_written_total")
    finally:
        d.stop()
    if stored != count:
        raise RuntimeError(f"{label}: stored {stored} of {count}: the comparison needs every datagram")
    return {"load": label, "compression": compression or "none", "lines": sent["lines"],
            "records": records, "wire_bytes": sent["bytes"], "stored_bytes": written,
            "wire_per_line": sent["bytes"] / sent["lines"], "stored_per_line": written / sent["lines"],
            "ratio": written / sent["bytes"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--count", type=int, default=20000, help="datagrams per load")
    ap.add_argument("--compression", default="", help="also run each load with this batch compression")
    args = ap.parse_args()
    rows = []
    for load in LOADS:
        for c in [""] + ([args.compression] if args.compression else []):
            rows.append(run(args.build, load, args.count, c))
            print(json.dumps(rows[-1]), file=sys.stderr)
    print("| load | compression | wire bytes/line | stored bytes/line | stored ÷ wire |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['load']} | {r['compression']} | {r['wire_per_line']:.1f} | {r['stored_per_line']:.1f} | "
              f"{r['ratio']:.2f}× |")


if __name__ == "__main__":
    main()
