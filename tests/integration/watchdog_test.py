"""The systemd watchdog is pinged only while every stage makes progress: one
parser shard thread is stopped (ptrace, that thread alone) while datagrams
arrive, the pings stop and the log says which stage is stuck; once the thread
runs again the pings come back and every datagram is stored.

Two documented claims are checked on the way: ringest_receive_slots_in_use
rises while the shard is stalled, and a stored record's receive_ns is when
the engine took the datagram in, not when the (stalled) shard parsed it."""

import ctypes
import json
import os
import subprocess
import socket
import sys
import threading
import time

from daemon_harness import Daemon, metric_sum, scratch_dir

PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
WALL = 0x40000000
SKIP = 77


def thread_named(pid, name, timeout_s=10):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    if f.read().strip() == name:
                        return int(tid)
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"no thread named {name}")


def main():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long

    notify_path = os.path.join(scratch_dir("ringest-wd-"), "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    pings = []  # arrival times of WATCHDOG=1

    def reader():
        while True:
            try:
                if notify.recv(4096).decode().startswith("WATCHDOG=1"):
                    pings.append(time.time())
            except OSError:
                return

    threading.Thread(target=reader, daemon=True).start()
    os.environ["NOTIFY_SOCKET"] = notify_path
    os.environ["WATCHDOG_USEC"] = "400000"  # a ping every 200 ms
    try:
        d = Daemon(args["--ringestd"], parser_threads=1).start()
    finally:
        del os.environ["NOTIFY_SOCKET"]
        del os.environ["WATCHDOG_USEC"]

    def pings_within(seconds):
        start = time.time()
        time.sleep(seconds)
        return sum(1 for t in pings if t >= start)

    try:
        assert pings_within(1.0) >= 3, "no regular watchdog pings while healthy"
        tid = thread_named(d.proc.pid, "ringest-shard0")
        if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
            err = ctypes.get_errno()
            print(f"watchdog: skipped (ptrace not permitted here: {os.strerror(err)})")
            d.stop()
            return SKIP
        assert libc.ptrace(PTRACE_INTERRUPT, tid, None, None) == 0
        os.waitpid(tid, WALL)  # the shard thread is stopped; the rest runs
        in_use_before = metric_sum(d.metrics(), "ringest_receive_slots_in_use", listener="statsd")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent_from = time.time_ns()
        for i in range(100):
            s.sendto(f"stuck.{i}:1|c".encode(), ("127.0.0.1", d.ports["statsd"]))
        sent_until = time.time_ns()
        deadline = time.time() + 5
        while time.time() < deadline and not any("watchdog: not pinging" in l for l in d.log):
            time.sleep(0.05)
        stuck = [l for l in d.log if "watchdog: not pinging" in l]
        assert stuck and "handoff queue" in stuck[0], d.log[-10:]
        assert pings_within(1.0) == 0, "pings went on while a stage was stuck"
        in_use = metric_sum(d.metrics(), "ringest_receive_slots_in_use", listener="statsd")
        assert in_use >= in_use_before + 100, f"slots in use {in_use_before} -> {in_use} while the shard is stalled"
        resumed_at = time.time_ns()
        assert libc.ptrace(PTRACE_DETACH, tid, None, None) == 0
        assert pings_within(1.0) >= 3, "pings did not come back once the stage ran again"
        assert any("pinging again" in l for l in d.log), d.log[-10:]
        m = d.wait_quiet(100)
        assert metric_sum(m, "ringest_stored_datagrams_total") == 100
        assert d.stop() == 0
        out = subprocess.run([args["--dump"], "print", "--origin", d.data], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        stamps = [json.loads(l)["receive_ns"] for l in out.stdout.splitlines()]
        assert len(stamps) == 100
        # Taken in as they were sent (the engine's clock), more than a second
        # before the shard could parse them.
        assert all(sent_from - 50_000_000 <= t <= sent_until + 200_000_000 for t in stamps), \
            (sent_from, sent_until, min(stamps), max(stamps))
        assert resumed_at - max(stamps) > 1_000_000_000
        print(f"watchdog: stopped while {stuck[0].split('not pinging: ')[1]}; resumed: ok")
        return 0
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print(f"watchdog: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
