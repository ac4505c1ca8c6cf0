"""Acceptance for the capture tools: a capture written by
`ringest-loadgen --write-pcap` and replayed into ringestd with
`ringest-replay --check-metrics` reconciles with 0 unaccounted, and what
ringest-dump reads back holds exactly the sequence numbers in the capture.
Then the check's failure path: datagrams replayed to a port nobody listens
on are unaccounted, and the tool says so with exit code 3."""

import argparse
import json
import os
import re
import subprocess
import sys

from daemon_harness import Daemon, scratch_dir


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def stored(report):
    return int(re.search(r"^\s*stored\s+(\d+)\s*$", report, re.M).group(1))


def unaccounted(report):
    m = re.search(r"^\s*unaccounted\s+(-?\d+)\s*$", report, re.M)
    assert m, f"no unaccounted line in:\n{report}"
    return int(m.group(1))


def check_cli(args):
    """--help names every option with an explanation; bad input is a usage error
    or an unreadable capture, with one clear line."""
    for tool in (args.replay, args.loadgen):
        rc, out, _ = run([tool, "--help"])
        assert rc == 0
        options = re.findall(r"^\s+(?:-\w,)?(--[\w-]+)", out, re.M)
        assert len(options) >= 8, out
        for opt in options:
            line = next(l for l in out.splitlines() if re.match(rf"^\s+(-\w,)?{opt}\b", l))
            idx = out.splitlines().index(line)
            text = line.split(opt, 1)[1] + " " + out.splitlines()[idx + 1]
            assert re.search(r"[A-Za-z]{3,} [a-z]{2,}", text), f"{tool} {opt} has no explanation"
    rc, _, err = run([args.replay, "/nonexistent.pcap", "--target", "127.0.0.1:9"])
    assert rc == 66 and "/nonexistent.pcap" in err, (rc, err)
    rc, _, err = run([args.replay, "/nonexistent.pcap", "--map", "x=1"])
    assert rc == 64 and "--map" in err, (rc, err)
    rc, _, err = run([args.replay, "/nonexistent.pcap"])
    assert rc == 64 and "--target" in err, (rc, err)
    rc, _, err = run([args.loadgen, "--mix", "statsd=1,nope=2", "-n", "1"])
    assert rc == 64 and "nope" in err, (rc, err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--replay", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--count", type=int, default=20000)
    args = ap.parse_args()

    check_cli(args)
    work = scratch_dir("ringest-replay-it-")
    pcap = os.path.join(work, "statsd.pcap")
    rc, out, err = run([args.loadgen, "--write-pcap", pcap, "--count", str(args.count), "--lines", "3",
                        "--sockets", "4", "--rate", "50000", "--target", "127.0.0.1:8125"])
    assert rc == 0, err
    assert json.loads(out)["sent"] == args.count

    os.makedirs(os.path.join(work, "daemon"))
    d = Daemon(args.ringestd, workdir=os.path.join(work, "daemon")).start()
    url = f"http://127.0.0.1:{d.metrics_port}/metrics"
    port = d.ports["statsd"]
    # The capture's timing (50k datagrams/s) replayed at 4x speed, port 8125 mapped to the daemon.
    rc, out, err = run([args.replay, pcap, "--map", f"8125=127.0.0.1:{port}", "--speed", "4",
                        "--check-metrics", url])
    print(err)
    assert rc == 0, f"replay --check-metrics exited {rc}"
    rep = json.loads(out)
    assert rep["sent"] == args.count and rep["skipped"] == 0, rep
    assert unaccounted(err) == 0
    assert "verdict: OK" in err
    stored_replay = stored(err)

    # The same check from loadgen, sending directly in another format mix.
    rc, out, err = run([args.loadgen, "--target", f"127.0.0.1:{port}", "--count", "5000", "--seq-start",
                        str(args.count), "--lines", "5", "--check-metrics", url])
    print(err)
    assert rc == 0 and unaccounted(err) == 0, f"loadgen --check-metrics exited {rc}"
    stored_loadgen = stored(err)

    # Nobody listens on the mapped port: everything sent is unaccounted.
    rc, out, err = run([args.replay, pcap, "--map", "8125=127.0.0.1:9", "--flat-out", "--check-metrics", url])
    assert rc == 3, f"expected exit 3 for unaccounted datagrams, got {rc}:\n{err}"
    assert unaccounted(err) == args.count and "verdict: FAIL" in err

    assert d.stop() == 0
    rc, out, err = run([args.dump, d.data])
    assert rc == 0, err
    seqs = {}
    for line in out.splitlines():
        tags = dict(json.loads(line)["tags"])
        seqs[int(tags["seq"])] = seqs.get(int(tags["seq"]), 0) + 1
    # Every stored datagram is one that was sent, whole: 3 records per replayed
    # datagram, 5 per loadgen datagram; as many as /metrics said were stored.
    assert set(seqs) <= set(range(args.count + 5000)), "stored sequence numbers never sent"
    assert len([s for s in seqs if s < args.count]) == stored_replay
    assert len([s for s in seqs if s >= args.count]) == stored_loadgen
    assert all(n == (3 if s < args.count else 5) for s, n in seqs.items()), "a stored datagram lost lines"
    print("replay_check: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"replay_check: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
