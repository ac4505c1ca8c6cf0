"""One segment format on both platforms: the Linux ringestd stores sequence-
tagged StatsD (zstd-compressed batches, two partitions), and ringest-dump.exe
under Wine verifies the directory and prints exactly the records, byte for
byte, that the Linux ringest-dump prints. (The other direction, Windows
writing and Linux reading, is the wine_e2e test.)"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from daemon_harness import Daemon  # noqa: E402


def run(cmd):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}: {r.stderr[-2000:]}"
    return r.stdout.splitlines()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wine", required=True)
    ap.add_argument("--dump-exe", required=True)
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args()

    d = Daemon(args.ringestd, storage_extra='compression = "zstd"').start()
    count = 3000
    run([args.loadgen, "--target", f"127.0.0.1:{d.ports['statsd']}", "--count", str(count), "--rate", "20000",
         "--lines", "3"])
    d.wait_quiet(count)
    assert d.stop() == 0

    linux_verify = json.loads(run([args.dump, "verify", d.data])[-1])
    windows_verify = json.loads(run([args.wine, args.dump_exe, "verify", d.data])[-1])
    assert linux_verify["damage"] == 0 and linux_verify["records"] == 3 * count, linux_verify
    assert windows_verify == linux_verify, f"Windows {windows_verify} != Linux {linux_verify}"

    linux_records = run([args.dump, d.data])
    windows_records = run([args.wine, args.dump_exe, d.data])
    assert len(linux_records) == 3 * count, len(linux_records)
    for i, (a, b) in enumerate(zip(linux_records, windows_records)):
        assert a == b, f"record {i} differs:\n Linux:   {a}\n Windows: {b}"
    assert len(windows_records) == len(linux_records)
    print(f"wine dump: {len(windows_records)} records, {linux_verify['batches']} batches read alike")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"wine dump: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
