"""The command line's contract: --version, --check, and a one-line error with
a distinct non-zero exit for a bad config, a port in use and an unusable data
directory — never a crash or a hang."""

import argparse
import os
import socket
import signal
import subprocess
import sys
import time

from daemon_harness import Daemon, metric_sum, scratch_dir, wait_log


def run(args, timeout=30):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def send_until_counted(d, listener, timeout_s=10):
    """Datagrams to `listener` until /metrics counts one for it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        s.sendto(b"dropin.test:1|c", ("127.0.0.1", d.ports[listener]))
        if metric_sum(d.metrics(), "ringest_received_datagrams_total", listener=listener) > 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"listener {listener} counted nothing:\n" + "\n".join(d.log[-20:]))


def drop_ins(exe):
    """conf.d beside the file: a drop-in adds a listener whose port comes from
    the environment; --check lists it and names an unset variable; a reload
    reads a new drop-in; a key set in two files fails the reload, naming both,
    and the running configuration stays."""
    d = Daemon(exe)
    confd = os.path.join(os.path.dirname(d.config), "conf.d")
    os.makedirs(confd)
    extra = os.path.join(confd, "10-extra.toml")
    with open(extra, "w") as f:
        f.write('# a second listener\n[[listener]]\nname = "extra"\nformat = "statsd"\n'
                'address = "127.0.0.1:${RINGEST_TEST_PORT:-0}"\nsockets = ${RINGEST_TEST_SOCKETS}\n')
    r = run([exe, "--check", d.config])
    assert r.returncode == 78, r
    assert r.stderr.strip() == f"{extra}:6: ${{RINGEST_TEST_SOCKETS}} is not set in the environment " \
                               "(give a default with ${RINGEST_TEST_SOCKETS:-value})", r.stderr
    os.environ["RINGEST_TEST_SOCKETS"] = "2"
    r = run([exe, "--check", d.config])
    assert r.returncode == 0 and r.stdout.strip() == f"{d.config}: ok (with {extra})", r
    d.start()
    assert "extra" in d.ports, "\n".join(d.log)
    send_until_counted(d, "extra")

    more = os.path.join(confd, "20-more.toml")
    with open(more, "w") as f:
        f.write('[[listener]]\nname = "more"\nformat = "statsd"\naddress = "127.0.0.1:0"\n')
    d.proc.send_signal(signal.SIGHUP)
    wait_log(d, r"reload: applied .*ringest\.toml and .*10-extra\.toml, .*20-more\.toml")
    deadline = time.time() + 10
    while "more" not in d.ports and time.time() < deadline:
        time.sleep(0.05)
    send_until_counted(d, "more")
    assert metric_sum(d.metrics(), "ringest_config_last_reload_successful") == 1

    with open(more, "a") as f:
        f.write('[parser]\nthreads = 1\n')
    d.proc.send_signal(signal.SIGHUP)
    line = wait_log(d, r"reload: .*parser\.threads: also set in")
    assert f"{more}:6: parser.threads: also set in {d.config}:" in line, line
    assert metric_sum(d.metrics(), "ringest_config_last_reload_successful") == 0
    send_until_counted(d, "more")
    assert d.stop() == 0, "\n".join(d.log[-20:])
    del os.environ["RINGEST_TEST_SOCKETS"]


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

    drop_ins(exe)

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
