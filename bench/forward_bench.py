#!/usr/bin/python3
"""Forwarding to JetStream beside local append only, side by side in one run.

For each load (plain StatsD, ~28 bytes a line), ringestd runs four ways in
turn with the same ringest-loadgen load: without an output, with a batch
output and with an influx output to one local nats-server (JetStream, file
store), and with a batch output to a three-server cluster on loopback (an R3
stream: every message stored by the leader and acknowledged once a second
server has it). CPU is ringestd's utime + stime (/proc) from before the load until
every datagram is stored and (with an output) acknowledged, per line sent.
Lag is the largest ringest_output_lag_seconds scraped every 0.25 s; the
catch-up time is from the end of the load until every record is
acknowledged. Forwarded records/s and MB/s (the log's bytes) are over the
time from the start of the load until the last record was acknowledged. nats-server's own CPU
(all three servers' for the cluster) is shown apart.

Usage: bench/forward_bench.py BUILD [--seconds 6] [--nats-server /usr/sbin/nats-server]"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from daemon_harness import Daemon, metric_sum  # noqa: E402
from nats_harness import NatsCluster, NatsServer  # noqa: E402
from process_cpu import process_cpu_ns  # noqa: E402

LOADS = [(30, 100000), (30, 50000), (1, 50000)]
if os.environ.get("FORWARD_BENCH_LOADS"):
    LOADS = [tuple(int(x) for x in l.split("x")) for l in os.environ["FORWARD_BENCH_LOADS"].split(",")]  # (lines per datagram, datagrams/s)


# (label, encoding, servers): what each run forwards to; "" is local append only.
TARGETS = [("none (local append)", "", 0), ("batch", "batch", 1), ("influx", "influx", 1),
           ("batch → R3 cluster", "batch", 3)]


def output_toml(urls, encoding):
    servers = ", ".join(f'"{u}"' for u in urls)
    return (f'[[output]]\nname = "js"\nservers = [{servers}]\nstream = "BENCH"\nsubject_prefix = "bench"\n'
            f'node = "n1"\nencoding = "{encoding}"\nreplicas = {len(urls)}\n')


def caught_up(m):
    parts = {dict(l)["partition"] for (n, l) in m if n == "ringest_log_durable_offset"}
    for p in parts:
        durable = metric_sum(m, "ringest_log_durable_offset", partition=p)
        if durable != metric_sum(m, "ringest_log_next_offset", partition=p):
            return False
        if metric_sum(m, "ringest_output_acked_offset", partition=p) != durable:
            return False
    return bool(parts)


def run(args, lines, rate, encoding, servers):
    if servers == 1:
        nats = [NatsServer(args.nats_server).start()]
    elif servers:
        nats = NatsCluster(args.nats_server, size=servers).start().servers
    else:
        nats = []
    extra = output_toml([n.url for n in nats], encoding) if encoding else ""
    d = Daemon(os.path.join(args.build, "daemon", "ringestd"), extra=extra).start()
    max_lag = [0.0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            try:
                max_lag[0] = max(max_lag[0], metric_sum(d.metrics(), "ringest_output_lag_seconds"))
            except RuntimeError:
                pass
            time.sleep(0.25)

    try:
        if encoding:
            time.sleep(0.5 if servers == 1 else 3)  # connected, stream created (and its leader elected)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        cpu0 = process_cpu_ns(d.proc.pid)
        nats_cpu0 = sum(process_cpu_ns(n.proc.pid) for n in nats)
        gen = subprocess.run([os.path.join(args.build, "tools", "ringest-loadgen"), "--target",
                              f"127.0.0.1:{d.ports['statsd']}", "--format", "statsd-plain", "--lines", str(lines),
                              "--count", str(rate * args.seconds), "--rate", str(rate)],
                             capture_output=True, text=True, check=True)
        ended = time.time()
        sent = json.loads(gen.stdout.strip().splitlines()[-1])
        m = d.wait_quiet(0, timeout_s=60, allow_unseen=True)
        while encoding and not caught_up(m) and time.time() < ended + 120:
            time.sleep(0.1)
            m = d.metrics()
        catch_up = time.time() - ended
        cpu1 = process_cpu_ns(d.proc.pid)
        nats_cpu = (sum(process_cpu_ns(n.proc.pid) for n in nats) - nats_cpu0) / sent["lines"]
        stop.set()
        watcher.join()
    finally:
        d.stop()
        for n in nats:
            n.stop()
    stored = metric_sum(m, "ringest_stored_datagrams_total")
    stored_bytes = metric_sum(m, "ringest_log_bytes_written_total")
    acked = metric_sum(m, "ringest_output_acked_records_total")
    return {"ns_per_line": (cpu1 - cpu0) / sent["lines"], "loss": 1 - stored / sent["sent"],
            "lag": max_lag[0], "catch_up": catch_up if encoding else 0, "acked": acked,
            "records_per_s": acked / (args.seconds + catch_up) if encoding else 0,
            "mb_per_s": stored_bytes / 1e6 / (args.seconds + catch_up) if encoding else 0,
            "nats_ns_per_line": nats_cpu}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--nats-server", default="/usr/sbin/nats-server")
    args = ap.parse_args()
    print("| load | output | ringestd CPU ns/line | vs local only | loss | max lag | caught up after load | "
          "forwarded records/s | forwarded MB/s | nats-server CPU ns/line |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lines, rate in LOADS:
        base = None
        for label, encoding, servers in TARGETS:
            r = run(args, lines, rate, encoding, servers)
            if not encoding:
                base = r["ns_per_line"]
                print(f"| {lines} line(s) @ {rate:,}/s | {label} | {r['ns_per_line']:,.0f} | — | "
                      f"{r['loss'] * 100:.2f}% | — | — | — | — | — |", flush=True)
                continue
            print(f"| {lines} line(s) @ {rate:,}/s | {label} | {r['ns_per_line']:,.0f} | "
                  f"{(r['ns_per_line'] / base - 1) * 100:+.0f}% | {r['loss'] * 100:.2f}% | {r['lag']:.2f} s | "
                  f"{r['catch_up']:.1f} s | {r['records_per_s']:,.0f} | {r['mb_per_s']:.1f} | "
                  f"{r['nats_ns_per_line']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
