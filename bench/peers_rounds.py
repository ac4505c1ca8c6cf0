#!/usr/bin/python3
"""brubeck and one or more ringestd builds at one StatsD load, in interleaved
rounds: each round runs brubeck, then every build, one daemon at a time, each
freshly started, with the same ringest-loadgen sender (statsd-counters) as
bench/peers. For the side-by-side ratios where the run-to-run spread of one
peers run is too wide to read a change by; run bench/peers once first (it
installs what brubeck builds with).

Usage: bench/peers_rounds.py --brubeck-src DIR [--lines 30] [--rate 100000]
           [--seconds 4] [--rounds 3] BUILD [BUILD...]"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builds", nargs="+", help="ringest build directories (the last one's loadgen sends: the newest, say)")
    ap.add_argument("--brubeck-src", required=True, help="brubeck's source tree (github/brubeck ebbd222)")
    ap.add_argument("--brubeck-build", default="build/peers/brubeck")
    ap.add_argument("--lines", type=int, default=30)
    ap.add_argument("--rate", type=int, default=100000, help="offered datagrams/s; 0 = flat out")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    exe = peers.build_brubeck(args.brubeck_src, args.brubeck_build)
    work = tempfile.mkdtemp(prefix="ringest-rounds-")
    runs = {}
    try:
        for r in range(args.rounds):
            for name, build in [("brubeck", None)] + [(b, b) for b in args.builds]:
                w = os.path.join(work, f"{r}-{len(runs.get(name, []))}-{os.path.basename(name)}")
                peer = peers.Brubeck(exe, w) if build is None else peers.Ringestd(build, "statsd", w)
                peer.start()
                try:
                    s = peers.step(args.builds[-1], peer, "statsd-counters", args.lines, args.rate, args.seconds)
                finally:
                    peer.stop()
                runs.setdefault(name, []).append(s)
                print(f"round {r} {name:24} {s['cpu_ns_line']:8.1f} ns/line  loss {100 * s['loss']:6.3f}%  "
                      f"reached {s['achieved']:,.0f}/s  rejected {s['rejected']}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.mean(s["cpu_ns_line"] for s in runs["brubeck"])
    for name, steps in runs.items():
        ns = [s["cpu_ns_line"] for s in steps]
        print(f"{name:24} ns/line {min(ns):.0f}–{max(ns):.0f}, mean {statistics.mean(ns):.1f}: "
              f"{statistics.mean(ns) / base:.2f}x brubeck's mean; max loss {100 * max(s['loss'] for s in steps):.3f}%")


if __name__ == "__main__":
    main()
