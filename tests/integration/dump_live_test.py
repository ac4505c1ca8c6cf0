"""ringest-dump against a live daemon: `print --follow` tails the log while
ringestd takes load and ends up having printed exactly what the log holds;
`backup` taken in the middle of the load is a log of its own that verifies
clean and holds, per partition, a prefix of the final log, record for record."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from daemon_harness import Daemon


def by_key(lines):
    out = {}
    for line in lines:
        r = json.loads(line)
        out[(r["partition"], r["offset"])] = r
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args()

    d = Daemon(args.ringestd).start()
    port = d.ports["statsd"]
    follow_path = os.path.join(d.dir, "follow.jsonl")
    follow_out = open(follow_path, "w")
    follow = subprocess.Popen([args.dump, "print", d.data, "--follow"], stdout=follow_out, stderr=subprocess.PIPE,
                              text=True)
    gen = subprocess.Popen([args.loadgen, "--target", f"127.0.0.1:{port}", "--count", "100000", "--rate", "50000",
                            "--lines", "2"], stdout=subprocess.DEVNULL)
    time.sleep(1.0)
    backup_dir = os.path.join(d.dir, "backup")
    b = subprocess.run([args.dump, "backup", d.data, backup_dir], capture_output=True, text=True)
    assert b.returncode == 0, f"backup: {b.stdout} {b.stderr}"
    gen.wait(60)
    d.wait_quiet(1)
    assert d.stop() == 0
    final = subprocess.run([args.dump, "print", d.data], capture_output=True, text=True, check=True).stdout
    log = by_key(final.splitlines())
    assert log, "nothing stored"

    # Give --follow the time it needs to reach the end (a sanitizer build is
    # slow), then stop it; it must not print more than the log holds.
    def followed_lines():
        with open(follow_path) as f:
            return f.read().splitlines()
    deadline = time.time() + 120
    while len(followed_lines()) < len(log) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # a few more follow rounds after the end
    follow.terminate()
    follow.wait(10)
    follow_out.close()
    followed = followed_lines()
    assert len(followed) == len(log), f"--follow printed {len(followed)} records, the log holds {len(log)}"
    assert by_key(followed) == log, "--follow printed records that differ from the log"

    v = subprocess.run([args.dump, "verify", backup_dir], capture_output=True, text=True)
    assert v.returncode == 0, f"verify backup: {v.stdout} {v.stderr}"
    copy = by_key(subprocess.run([args.dump, "print", backup_dir], capture_output=True, text=True,
                                 check=True).stdout.splitlines())
    assert 0 < len(copy) < len(log), f"backup taken mid-load holds {len(copy)} of {len(log)} records"
    for p in {k[0] for k in copy}:
        offsets = sorted(o for (q, o) in copy if q == p)
        assert offsets == list(range(len(offsets))), f"backup partition {p}: not a prefix of offsets"
    for k, r in copy.items():
        assert log.get(k) == r, f"backup record {k} differs from the log"
    print(f"dump live: follow {len(followed)} records, backup {len(copy)} of {len(log)}: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"dump live: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
