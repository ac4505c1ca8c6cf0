"""The command line's contract: --version, --check, and a one-line error with
a distinct non-zero exit for a bad config, a port in use and an unusable data
directory — never a crash or a hang."""

import argparse
import os
import socket
import subprocess
import sys

from daemon_harness import Daemon, scratch_dir


def run(args, timeout=30):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    exe = ap.parse_args().ringestd
    tmp = scratch_dir("ringest-cli-")

    r = run([exe, "--version"])
    assert r.returncode == 0 and r.stdout.startswith("ringestd "), r

    example = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "ringest.toml")
    r = run([exe, "--check", example])
    assert r.returncode == 0, r

    bad = os.path.join(tmp, "bad.toml")
    with open(bad, "w") as f:
        f.write('[storage]\ndir = "x"\n\n[[listener]]\nname = "s"\nsockets = 0\n')
    r = run([exe, "--check", bad])
    assert r.returncode == 78, r
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and ":6:" in err and "sockets" in err, err
    r = run([exe, "--config", bad])
    assert r.returncode == 78 and "sockets" in r.stderr, r

    # What is not a readable regular file with a listener is refused the same
    # way by --check and --config: exit 78, one line, the same message.
    empty = os.path.join(tmp, "empty.toml")
    with open(empty, "w") as f:
        f.write("\n  \n")
    for path, why in ((tmp, "not a regular file"), (os.path.join(tmp, "missing.toml"), "cannot open"),
                      (empty, "empty configuration file")):
        checked = run([exe, "--check", path])
        started = run([exe, "--config", path])
        for r in (checked, started):
            assert r.returncode == 78, (path, r)
            assert len(r.stderr.strip().splitlines()) == 1 and why in r.stderr, (path, r.stderr)
        assert checked.stderr.strip() in started.stderr, (checked.stderr, started.stderr)

    r = run([exe, "--no-such-flag"])
    assert r.returncode == 64, r

    # A port in use: exit 71 with one line naming the listener.
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    d = Daemon(exe, workdir=scratch_dir("ringest-cli-"),
               listeners=[("busy", f"127.0.0.1:{port}", "statsd")])
    r = run([exe, "--config", d.config])
    assert r.returncode == 71, r
    crit = [l for l in r.stderr.splitlines() if " critical " in l]
    assert len(crit) == 1 and "busy" in crit[0] and "in use" in crit[0], r.stderr
    busy.close()

    # An unusable data directory (a file where the directory should be): exit 74.
    d = Daemon(exe, workdir=scratch_dir("ringest-cli-"))
    with open(d.data, "w") as f:
        f.write("not a directory")
    r = run([exe, "--config", d.config])
    assert r.returncode == 74, r
    crit = [l for l in r.stderr.splitlines() if " critical " in l]
    assert len(crit) == 1 and "storage" in crit[0], r.stderr

    # A clean start and SIGTERM stop exits 0.
    d = Daemon(exe).start()
    assert d.stop() == 0, "\n".join(d.log)
    print("cli: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"cli: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
