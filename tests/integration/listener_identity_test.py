"""Every stored record names the listener it came from, by name and format,
through reorders, renames, removals, format changes, reloads and restarts:
the data directory's listener catalog maps the id a record carries to its
listener for as long as the data is kept, and ringest-dump reads it."""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys

from daemon_harness import Daemon, wait_log, scratch_dir

FORMAT_LINE = {"statsd": "{m}:1|c", "graphite": "{m} 1 1700000000"}


def send(d, name, fmt, tag):
    """One datagram to listener `name`; its measurement says whom it was sent to."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(FORMAT_LINE[fmt].format(m=f"{name}.{tag}").encode(), ("127.0.0.1", d.ports[name]))
    return (f"{name}.{tag}", name, fmt)


def run(ringestd, work, listeners, sends, reload_to=None, reload_sends=()):
    d = Daemon(ringestd, workdir=work, listeners=[(n, "127.0.0.1:0", f) for n, f in listeners]).start()
    sent = [send(d, n, f, tag) for n, f, tag in sends]
    d.wait_quiet(len(sent))
    if reload_to is not None:
        lines = [f'[storage]\ndir = \'{d.data}\'', '[metrics]\nlisten = "127.0.0.1:0"', "[parser]\nthreads = 2"]
        for n, f in reload_to:
            lines.append(f'[[listener]]\nname = "{n}"\naddress = "127.0.0.1:0"\nformat = "{f}"')
        with open(d.config, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_log(d, r"reload: applied")
        for n, _ in reload_to:
            wait_log(d, rf"listener '{n}': .* port \d+$")
        sent += [send(d, n, f, tag) for n, f, tag in reload_sends]
        d.wait_quiet(len(sent))
    assert d.stop() == 0, "\n".join(d.log[-20:])
    return d, sent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args()
    work = scratch_dir("ringest-identity-")
    expected = []
    # Run 1.
    d, s = run(args.ringestd, work, [("alpha", "statsd"), ("beta", "graphite")],
               [("alpha", "statsd", "r1"), ("beta", "graphite", "r1")])
    expected += s
    # Run 2: reordered, alpha renamed gamma; then a reload adds delta, and
    # beta, now StatsD, is another listener than the Graphite one before.
    d, s = run(args.ringestd, work, [("beta", "graphite"), ("gamma", "statsd")],
               [("beta", "graphite", "r2"), ("gamma", "statsd", "r2")],
               reload_to=[("gamma", "statsd"), ("delta", "statsd"), ("beta", "statsd")],
               reload_sends=[("gamma", "statsd", "r2b"), ("delta", "statsd", "r2b"), ("beta", "statsd", "r2b")])
    expected += s
    # Run 3: beta removed, alpha back (last).
    d, s = run(args.ringestd, work, [("delta", "statsd"), ("alpha", "statsd")],
               [("delta", "statsd", "r3"), ("alpha", "statsd", "r3")])
    expected += s

    out = subprocess.run([args.dump, "print", "--origin", d.data], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    got = sorted((r["measurement"], r.get("listener_name"), r.get("listener_format")) for r in records)
    assert got == sorted(expected), f"records and their listeners:\n{got}\nwant\n{sorted(expected)}"
    ids = {}
    for r in records:
        ids.setdefault((r["listener_name"], r["listener_format"]), set()).add(r["listener"])
    assert all(len(v) == 1 for v in ids.values()), ids  # one id per listener, across runs
    assert len({next(iter(v)) for v in ids.values()}) == len(ids), ids  # and no id shared
    # The same from one partition directory, and from a backup.
    part = os.path.join(d.data, "0")
    out = subprocess.run([args.dump, "print", "--origin", part], capture_output=True, text=True)
    assert out.returncode == 0 and all("listener_name" in json.loads(l) for l in out.stdout.splitlines()), out
    copy = os.path.join(work, "copy")
    assert subprocess.run([args.dump, "backup", d.data, copy], capture_output=True).returncode == 0
    out = subprocess.run([args.dump, "print", "--origin", copy], capture_output=True, text=True)
    again = sorted((json.loads(l)["measurement"], json.loads(l).get("listener_name"), json.loads(l).get("listener_format"))
                   for l in out.stdout.splitlines())
    assert again == got, "the backup names other listeners"
    print(f"listener identity: {len(records)} records, {len(ids)} listeners, each named right: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"listener identity: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
