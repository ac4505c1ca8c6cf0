#!/usr/bin/env python3
"""ringestd's receive engines side by side on this machine, in one run: for
each engine, the highest offered rate it takes with zero loss and the CPU it
spends per datagram there — the table bench/ingest_bench.py prints on Linux.

Windows users compare Registered I/O with the IOCP fallback:

    py bench\\engines_bench.py --ringestd C:\\ringest\\ringestd.exe

(default engines there: rio,iocp). On Linux it compares uring and recvmmsg.
Only the Python standard library is needed. The load is sequence-tagged
1-line StatsD from --senders processes of this script (or from
ringest-loadgen with --loadgen); when even the fastest rate is lossless the
senders were the limit, and the CPU column is the comparison that counts.

Loss is sent minus stored: Windows cannot count what its kernel dropped, so
the daemon's own kernel-drop counters are not used here."""

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from daemon_harness import Daemon, metric_sum, remove_tree  # noqa: E402
from process_cpu import process_cpu_ns  # noqa: E402

IS_WINDOWS = sys.platform == "win32"


def sender_process(port, first, count, rate, out):
    """Sends datagrams first..first+count-1 at `rate`/s (0: flat out)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    target = ("127.0.0.1", port)
    start = time.perf_counter()
    batch = 32
    sent = 0
    for base in range(first, first + count, batch):
        if rate:
            due = start + (base - first) / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        for seq in range(base, min(base + batch, first + count)):
            s.sendto(b"bench.engine.requests:1|c|#host:bench,seq:%d" % seq, target)
            sent += 1
    out.put((sent, time.perf_counter() - start))


def send_python(port, rate, count, senders):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    share = count // senders
    procs = [ctx.Process(target=sender_process,
                         args=(port, i * share, share if i < senders - 1 else count - i * share,
                               rate / senders if rate else 0, out))
             for i in range(senders)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    sent = sum(r[0] for r in results)
    seconds = max(r[1] for r in results)
    return {"sent": sent, "rate": sent / seconds if seconds else 0}


def send_loadgen(loadgen, port, rate, count):
    out = subprocess.run([loadgen, "-t", f"127.0.0.1:{port}", "-n", str(count), "-r", str(rate)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_engine(args, engine, rate):
    """One daemon run at one offered rate: (report, stored, cpu_ns), or None
    with the reason when the engine is not usable here."""
    d = Daemon(args.ringestd, launcher=args.launcher, listener_extra=f'engine = "{engine}"')
    try:
        d.start()
    except RuntimeError as e:
        reason = [line.split(" critical ", 1)[-1] for line in d.log if "not usable" in line]
        remove_tree(d.dir)
        return None, (reason[-1] if reason else str(e).splitlines()[0])
    try:
        port = d.ports["statsd"]
        count = int((rate or 400_000) * args.seconds)
        cpu0 = process_cpu_ns(d.proc.pid)  # under Wine the launched process becomes the daemon
        if args.loadgen:
            rep = send_loadgen(args.loadgen, port, rate, count)
        else:
            rep = send_python(port, rate, count, args.senders)
        m = d.wait_quiet(rep["sent"], timeout_s=120, allow_unseen=True)
        cpu = process_cpu_ns(d.proc.pid) - cpu0
        stored = int(metric_sum(m, "ringest_stored_datagrams_total"))
    finally:
        if d.proc.poll() is None:
            d.proc.terminate()
            d.proc.wait(60)
        remove_tree(d.dir)
    return (rep, stored, cpu), None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringestd", default="build/release/daemon/ringestd", help="the daemon to run")
    ap.add_argument("--engines", default="rio,iocp" if IS_WINDOWS else "uring,recvmmsg")
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each run")
    ap.add_argument("--rates", default="25000,50000,100000,150000,200000,300000,0",
                    help="offered rates to try, datagrams/s; 0 = as fast as the senders go")
    ap.add_argument("--senders", type=int, default=max(1, min(4, (os.cpu_count() or 2) // 2)),
                    help="sender processes (Python sender)")
    ap.add_argument("--loadgen", help="send with this ringest-loadgen instead of the Python sender")
    ap.add_argument("--launcher", action="append", default=[], help="run ringestd through this (e.g. wine64)")
    ap.add_argument("--expect-lossless", metavar="ENGINE",
                    help="exit 1 unless ENGINE took at least one rate with zero loss (for tests)")
    args = ap.parse_args()
    engines = args.engines.split(",")
    rates = [int(r) for r in args.rates.split(",")]

    best = {e: (0, 0) for e in engines}
    unusable = {}
    for rate in rates:
        for engine in engines:
            if engine in unusable:
                continue
            result, why = run_engine(args, engine, rate)
            if result is None:
                unusable[engine] = why
                print(f"{engine:9} not usable here: {why}", flush=True)
                continue
            rep, got, cpu = result
            sent = rep["sent"]
            lost = sent - got
            ns = cpu / got if got else 0
            print(f"{engine:9} offered {rate or 'max':>7} achieved {int(rep['rate']):>7}/s sent {sent:>8} "
                  f"stored {got:>8} lost {lost:>6} cpu {ns:6.0f} ns/datagram", flush=True)
            if lost == 0 and rep["rate"] > best[engine][0]:
                best[engine] = (rep["rate"], ns)

    print()
    print("| receiver | highest zero-loss rate (datagrams/s) | CPU ns per datagram at that rate |")
    print("|---|---|---|")
    for e in engines:
        if e in unusable:
            print(f"| ringestd, engine {e} | not usable here | {unusable[e]} |")
        else:
            print(f"| ringestd, engine {e} | {best[e][0]:,.0f} | {best[e][1]:,.0f} |")
    usable = [e for e in engines if e not in unusable and best[e][0]]
    if len(usable) >= 2:
        a, b = usable[0], usable[1]
        print(f"\nratio {a} / {b}: rate {best[a][0] / best[b][0]:.2f}, "
              f"CPU per datagram {best[a][1] / best[b][1]:.2f}" if best[b][1] else "")
    if args.expect_lossless:
        return 0 if best.get(args.expect_lossless, (0, 0))[0] > 0 else 1
    return 0 if len(unusable) < len(engines) else 1


if __name__ == "__main__":
    sys.exit(main())
