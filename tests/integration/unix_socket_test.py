#!/usr/bin/env python3
"""DogStatsD over a Unix datagram socket (`address = "unix:///path"`).

On each Linux engine: every datagram a blocking sender writes is stored, with
exact accounting, and each record's source is the sender's pid and uid
(SO_PASSCRED); the socket file gets the mode and group asked for; a reload
that changes the mode hands the socket over without losing a datagram. A
stale socket file (the daemon killed) is replaced at start; one another
process receives on, a file that is not a socket, and a unix:// listener with
several sockets or an allow list are refused with errors that name them.
"""
import argparse
import grp
import json
import os
import re
import socket
import stat
import subprocess
import sys

from daemon_harness import Daemon, metric_sum, scratch_dir

SENDER = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2]), int(sys.argv[3])):
    s.sendto(b"dsd.child:1|c|#seq:%d" % i, sys.argv[1])
"""


def send(path, first, count):
    """Blocking sends: when the socket's queue is full the sender waits (it
    does not lose datagrams, as UDP would)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for i in range(first, first + count):
        s.sendto(b"dsd.main:%d|c|#seq:%d,env:test" % (i % 7, i), path)
    s.close()


def records(dump, data):
    out = subprocess.run([dump, "print", "--origin", data], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def unix_daemon(ringestd, path, engine, extra=""):
    listener_extra = f'engine = "{engine}"\nsocket_mode = "0620"\nsocket_group = "nogroup"\n' + extra
    return Daemon(ringestd, listeners=[("dsd", f"unix://{path}", "statsd")], listener_extra=listener_extra)


def exact_on(ringestd, dump, engine, count):
    path = os.path.join(scratch_dir("ringest-unix-"), "dsd.socket")
    d = unix_daemon(ringestd, path, engine).start()
    assert any(f"engine {engine}" in line for line in d.log), "\n".join(d.log)
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o620, oct(st.st_mode)
    assert st.st_gid == grp.getgrnam("nogroup").gr_gid, st.st_gid

    send(path, 0, count)
    child = subprocess.Popen([sys.executable, "-c", SENDER, path, str(count), str(count + 100)])
    assert child.wait(30) == 0
    d.wait_quiet(count + 100)

    # A reload that changes the socket's mode: the listener restarts on the
    # same socket (handed over, not bound again), so nothing sent meanwhile is lost.
    d.reload_with('socket_mode = "0620"', 'socket_mode = "0660"')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
    send(path, count + 100, 1000)
    total = count + 1100
    m = d.wait_quiet(total)
    assert d.stop() == 0, "\n".join(d.log[-20:])

    received = metric_sum(m, "ringest_received_datagrams_total")
    stored = metric_sum(m, "ringest_stored_datagrams_total")
    dropped = metric_sum(m, "ringest_dropped_datagrams_total")
    assert received == stored == total and dropped == 0, (received, stored, dropped)
    recs = records(dump, d.data)
    seqs = sorted(int(dict(r["tags"])["seq"]) for r in recs)
    assert seqs == list(range(total)), f"{len(seqs)} records, {len(set(seqs))} distinct, want {total}"
    sources = {r["measurement"]: set() for r in recs}
    for r in recs:
        sources[r["measurement"]].add(r["source"])
    uid = os.getuid()
    assert sources["dsd.main"] == {f"pid={os.getpid()},uid={uid}"}, sources["dsd.main"]
    assert sources["dsd.child"] == {f"pid={child.pid},uid={uid}"}, sources["dsd.child"]
    print(f"unix {engine}: {total} datagrams sent, {stored:.0f} stored, 0 dropped; "
          f"sources pid {os.getpid()} and child pid {child.pid}; mode 0620 then 0660 after a reload")
    return path, d.data


def stale_and_live(ringestd, path):
    # The daemon killed: its socket file stays, nobody receives on it.
    d = unix_daemon(ringestd, path, "auto").start()
    d.proc.kill()
    d.proc.wait()
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    d = unix_daemon(ringestd, path, "auto").start()  # replaced
    send(path, 0, 10)
    d.wait_quiet(10)

    # A second daemon on a socket the first receives on: refused, the first unharmed.
    other = unix_daemon(ringestd, path, "auto")
    r = subprocess.run([ringestd, "--config", other.config], capture_output=True, text=True, timeout=30)
    assert r.returncode == 71 and f"unix://{path}" in r.stderr and "another process receives on it" in r.stderr, \
        (r.returncode, r.stderr)
    send(path, 10, 10)
    m = d.wait_quiet(20)
    assert metric_sum(m, "ringest_stored_datagrams_total") == 20
    assert d.stop() == 0
    print("unix: a stale socket file replaced; a live one refused (exit 71), its daemon unharmed")

    # A file that is not a socket is never removed.
    plain = os.path.join(os.path.dirname(path), "not-a-socket")
    with open(plain, "w") as f:
        f.write("keep me\n")
    d = unix_daemon(ringestd, plain, "auto")
    r = subprocess.run([ringestd, "--config", d.config], capture_output=True, text=True, timeout=30)
    assert r.returncode == 71 and "exists and is not a socket" in r.stderr, (r.returncode, r.stderr)
    with open(plain) as f:
        assert f.read() == "keep me\n"
    print("unix: a regular file in the way is named and left alone")


def refused_settings(ringestd, path):
    cases = [("sockets = 2\n", "a unix:// listener has one socket"),
             ('allow = ["127.0.0.1/32"]\n', "allow filters IP sources"),
             ('socket_mode = "0999"\n', "octal permission bits")]
    for extra, why in cases:
        d = Daemon(ringestd, listeners=[("dsd", f"unix://{path}", "statsd")], listener_extra=extra)
        r = subprocess.run([ringestd, "--check", d.config], capture_output=True, text=True)
        assert r.returncode == 78 and why in r.stderr and re.search(r"ringest\.toml:\d+", r.stderr), \
            (extra, r.returncode, r.stderr)
    d = Daemon(ringestd, listeners=[("dsd", "unix://relative.socket", "statsd")])
    r = subprocess.run([ringestd, "--check", d.config], capture_output=True, text=True)
    assert r.returncode == 78 and "unix:///absolute/path" in r.stderr, r.stderr
    print("unix: sockets > 1, allow, a bad mode and a relative path refused by --check")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--count", type=int, default=20000)
    args = ap.parse_args()
    path = None
    for engine in ("uring", "recvmmsg"):
        path, _ = exact_on(args.ringestd, args.dump, engine, args.count)
    stale_and_live(args.ringestd, path)
    refused_settings(args.ringestd, path)
    print("unix_socket: ok")


if __name__ == "__main__":
    main()
