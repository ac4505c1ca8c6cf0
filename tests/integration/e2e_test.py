"""End to end: ringestd on loopback takes N sequence-tagged StatsD datagrams
from ringest-loadgen, drains on SIGTERM, and what ringest-dump reads back
accounts for every datagram: sent == stored + sum(dropped), and the stored
sequence numbers are exactly the sent ones minus the dropped.

With --launcher wine64 and --ringestd ringestd.exe the same run checks the
Windows daemon under Wine against the Linux loadgen and ringest-dump; it is
stopped with SIGINT, which Wine delivers as Ctrl+C."""

import argparse
import json
import signal
import subprocess
import sys

from daemon_harness import Daemon, metric_sum


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--expect-engine", help="fail unless the daemon logs that it picked this engine")
    ap.add_argument("--launcher", action="append", default=[], help="run ringestd through this (repeatable)")
    ap.add_argument("--stop-signal", default="TERM", choices=["TERM", "INT"])
    args = ap.parse_args()

    d = Daemon(args.ringestd, extra="", launcher=args.launcher).start()
    if args.expect_engine:
        picked = [line for line in d.log if f"engine {args.expect_engine} (" in line]
        assert picked, f"engine {args.expect_engine} not picked:\n" + "\n".join(d.log)
    port = d.ports["statsd"]
    before = d.metrics()
    assert metric_sum(before, "ringest_received_datagrams_total") == 0

    gen = subprocess.run([args.loadgen, "--target", f"127.0.0.1:{port}", "--count", str(args.count),
                          "--rate", str(args.rate)], check=True, capture_output=True, text=True)
    report = json.loads(gen.stdout)
    sent = report["sent"]
    assert sent == args.count, report

    m = d.wait_quiet(sent)
    assert ("ringest_host_udp_receive_errors_total", frozenset()) in m, "no host UDP receive-error count"
    stored_metric = metric_sum(m, "ringest_stored_datagrams_total")
    # Every datagram the engines took was handed to the parsers in some
    # wakeup: the harvest histogram's sum counts them, its count the wakeups.
    handed = metric_sum(m, "ringest_receive_batch_datagrams_sum")
    wakeups = metric_sum(m, "ringest_receive_batch_datagrams_count")
    received = metric_sum(m, "ringest_received_datagrams_total")
    truncated = metric_sum(m, "ringest_dropped_datagrams_total", stage="receive", reason="truncated")
    assert handed == received - truncated and 0 < wakeups <= handed, (handed, wakeups, received, truncated)
    dropped = metric_sum(m, "ringest_dropped_datagrams_total")
    by_reason = {}
    for (name, labels), v in m.items():
        if name == "ringest_dropped_datagrams_total" and v:
            lab = dict(labels)
            by_reason[f'{lab["stage"]}/{lab["reason"]}'] = by_reason.get(f'{lab["stage"]}/{lab["reason"]}', 0) + v
    rc = d.stop(getattr(signal, "SIG" + args.stop_signal))
    assert rc == 0, f"ringestd exited {rc}:\n" + "\n".join(d.log[-20:])
    assert any("draining" in line for line in d.log), "no drain was logged:\n" + "\n".join(d.log[-20:])
    for stage in ("drain: receivers stopped", "drain: parsers stopped, every partition written and synced"):
        assert any(stage in line for line in d.log), f"no '{stage}' in the log:\n" + "\n".join(d.log[-20:])

    verify = subprocess.run([args.dump, "verify", d.data], capture_output=True, text=True)
    assert verify.returncode == 0 and '"damage":0' in verify.stdout, f"verify: {verify.stdout}{verify.stderr}"

    dump = subprocess.run([args.dump, d.data], capture_output=True, text=True)
    assert dump.returncode == 0, f"ringest-dump found damage: {dump.stderr[-2000:]}"
    seqs = []
    for line in dump.stdout.splitlines():
        rec = json.loads(line)
        tags = dict(rec["tags"])
        seqs.append(int(tags["seq"]))
    stored = len(seqs)
    unique = set(seqs)
    print(f"sent={sent} stored={stored} dropped={int(dropped)} {by_reason} "
          f"rate={report['rate']}/s")
    assert stored == stored_metric, f"dump read {stored} records, /metrics said {stored_metric} stored"
    assert len(unique) == stored, f"{stored - len(unique)} duplicate records"
    assert unique <= set(range(sent)), "records with sequence numbers never sent"
    assert sent == stored + dropped, f"sent {sent} != stored {stored} + dropped {dropped}"
    assert len(set(range(sent)) - unique) == dropped
    print("e2e: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"e2e: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
