"""kill -9 at random moments while ringestd takes load, again and again.

Each round starts ringestd on the same data directory (its recovery runs on
whatever the last kill left), sends a burst of sequence-tagged StatsD from
ringest-loadgen with sequence numbers of its own range, and kills the daemon
with SIGKILL after a random short delay. Every restart must become ready. At
the end ringest-dump --verify must find no damage, and for every partition:
  - offsets strictly increase (none is handed out twice), with a gap only
    where a recovery cut a torn batch and said the offsets it held are not
    reused ("the next offset is N": the record after the gap has offset N);
  - (seq, line) strictly increases in offset order: within a round one
    receiver hands batches to the shards in arrival order, and each round's
    sequence range lies above the last one's, so a record written twice, out of
    order or from nowhere shows up as a step backwards;
  - every sequence number is one its round sent.
Across partitions the stored set need not be a prefix of what was sent: the
shards pull batches from one queue, so a kill can find partition 0 written up
to datagram 900 and partition 1 still holding datagram 850 in memory.

--seed replays the same delays (the kill moments still depend on timing).
"""

import argparse
import json
import random
import re
import signal
import subprocess
import sys
import time

from daemon_harness import Daemon

ROUND_SEQS = 1_000_000  # each round's sequence numbers start at round * ROUND_SEQS


def run_round(d, args, rnd, rng):
    d.ports = {}
    d.metrics_port = None
    d.start()
    port = d.ports["statsd"]
    gen = subprocess.Popen([args.loadgen, "--target", f"127.0.0.1:{port}", "--count", str(args.count),
                            "--rate", str(args.rate), "--lines", "2", "--seq-start", str(rnd * ROUND_SEQS)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0, args.max_delay_ms / 1000))
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(30)
    gen.kill()
    gen.wait(30)


def check_partitions(records, rounds, claimed):
    """records: (partition, offset, seq, line) tuples."""
    parts = {}
    for r in records:
        parts.setdefault(r[0], []).append(r)
    total = 0
    for p, recs in sorted(parts.items()):
        recs.sort(key=lambda r: r[1])
        expect = 0
        last = (-1, -1)
        for _, off, seq, line in recs:
            assert off >= expect, f"partition {p}: offset {off} handed out twice"
            assert off == expect or off in claimed.get(p, set()), \
                f"partition {p}: offsets {expect}..{off - 1} missing, but no recovery cut them"
            expect = off + 1
            key = (seq, line)
            assert key > last, f"partition {p} offset {off}: seq/line {key} after {last}"
            assert seq // ROUND_SEQS < rounds, f"partition {p}: seq {seq} was never sent"
            assert seq % ROUND_SEQS < ROUND_SEQS // 2, f"partition {p}: seq {seq} was never sent"
            last = key
        total += len(recs)
    return parts, total


def read_records(dump_exe, data):
    """Streams ringest-dump's output into compact tuples: millions of records
    as parsed JSON would take gigabytes."""
    records = []
    with subprocess.Popen([dump_exe, data], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        for line in p.stdout:
            r = json.loads(line)
            tags = dict(r["tags"])
            records.append((r["partition"], r["offset"], int(tags["seq"]), int(tags["line"])))
        err = p.stderr.read()
    assert p.returncode == 0, err[-2000:]
    return records


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--count", type=int, default=20000, help="datagrams a round may send")
    ap.add_argument("--rate", type=int, default=100000)
    ap.add_argument("--max-delay-ms", type=int, default=150)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    assert args.count < ROUND_SEQS // 2
    rng = random.Random(args.seed)

    d = Daemon(args.ringestd)
    t0 = time.time()
    for rnd in range(args.kills):
        run_round(d, args, rnd, rng)
    # One more start runs recovery on what the last kill left, then a clean stop.
    d.ports = {}
    d.start()
    rc = d.stop()
    assert rc == 0, f"ringestd exited {rc} after the last restart:\n" + "\n".join(d.log[-20:])

    verify = subprocess.run([args.dump, "--verify", d.data], capture_output=True, text=True)
    assert verify.returncode == 0, f"ringest-dump --verify: {verify.stdout} {verify.stderr[-2000:]}"
    records = read_records(args.dump, d.data)
    claimed = {}
    for line in d.log:
        m = re.search(r"partition (\d+): recovery: .*the next offset is (\d+)", line)
        if m:
            claimed.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    parts, total = check_partitions(records, args.kills, claimed)
    assert total > 0, "nothing was stored: the rounds never got load in before the kill"
    cut = [line for line in d.log if "recovery" in line]
    print(f"kill -9: {args.kills} kills in {time.time() - t0:.0f} s, {total} records in "
          f"{len(parts)} partitions, {len(cut)} recoveries cut a tail")
    print("kill -9: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"kill -9: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
