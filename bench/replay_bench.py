#!/usr/bin/env python3
"""ringest-replay's timing and throughput on loopback, against ringest-ceiling
(a recvmmsg receiver that only counts):
  1. timing error (lateness of each send against its absolute schedule) of an
     original-timing replay of captures written at 10k and 100k datagrams/s;
  2. the top replay rate (--flat-out) against the loopback ceiling — the rate
     ringest-loadgen reaches flat out into the same receiver.
Captures are made by ringest-loadgen --write-pcap (1-line StatsD)."""

import argparse
import json
import os
import subprocess
import tempfile


def ceiling(build):
    p = subprocess.Popen([f"{build}/bench/ringest-ceiling", "1000"], stdout=subprocess.PIPE, text=True)
    return p, json.loads(p.stdout.readline())["port"]


def finish(p):
    res = json.loads(p.stdout.readline())
    p.wait()
    return res["received"]


def write_capture(build, path, rate, count):
    subprocess.run([f"{build}/tools/ringest-loadgen", "--write-pcap", path, "--rate", str(rate), "--count",
                    str(count)], check=True, capture_output=True)


def replay(build, path, port, *extra):
    p, port = ceiling(build)
    out = subprocess.run([f"{build}/tools/replay/ringest-replay", path, "--target", f"127.0.0.1:{port}",
                          "--progress", "0", *extra], check=True, capture_output=True, text=True).stdout
    rep = json.loads(out)
    rep["received"] = finish(p)
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--flat-count", type=int, default=2_000_000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ringest-replay-bench-")

    print("| capture rate (datagrams/s) | datagrams | achieved (datagrams/s) | timing error p50 | p99 | max | received |")
    print("|---|---|---|---|---|---|---|")
    for rate in (10_000, 100_000):
        path = os.path.join(tmp, f"r{rate}.pcap")
        count = int(rate * args.seconds)
        write_capture(args.build, path, rate, count)
        rep = replay(args.build, path, 0)
        print(f"| {rate:,} | {count:,} | {rep['rate']:,.0f} | {rep['lateness_p50_us']:.1f} µs | "
              f"{rep['lateness_p99_us']:.1f} µs | {rep['lateness_max_us']:.1f} µs | {rep['received']:,} |", flush=True)
        os.remove(path)

    path = os.path.join(tmp, "flat.pcap")
    write_capture(args.build, path, 0, args.flat_count)
    rep = replay(args.build, path, 0, "--flat-out")
    p, port = ceiling(args.build)
    lg = json.loads(subprocess.run([f"{args.build}/tools/ringest-loadgen", "-t", f"127.0.0.1:{port}", "-n",
                                    str(args.flat_count)], check=True, capture_output=True, text=True).stdout)
    lg_received = finish(p)
    os.remove(path)
    print()
    print("| sender, flat out | datagrams | rate (datagrams/s) | received by the ceiling |")
    print("|---|---|---|---|")
    print(f"| ringest-replay --flat-out | {rep['sent']:,} | {rep['rate']:,.0f} | {rep['received']:,} |")
    print(f"| ringest-loadgen --rate 0 (loopback ceiling) | {lg['sent']:,} | {lg['rate']:,.0f} | {lg_received:,} |")
    print(f"\nreplay / ceiling: {rep['rate'] / lg['rate']:.2f}")


if __name__ == "__main__":
    main()
