#!/usr/bin/env python3
"""TCP inputs (`transport = "tcp"`): Graphite, line protocol and syslog.

- 1,000,000 Graphite lines written line by line over one connection, with a
  receive pool small enough that TCP flow control must hold the sender back:
  every line stored once, received = stored, nothing dropped.
- Line protocol and syslog over TCP, syslog both octet-counted (a message
  holding a newline) and newline-framed (RFC 6587), stored and parsed.
- A connection closed in the middle of a line counts the partial line; a line
  over max_line_bytes is skipped and counted; received = stored + dropped.
- A client that connects and never sends is closed after idle_timeout_ms and
  counted.
- 1,000 connections opened at once against max_connections = 400: 400 kept
  (their lines stored), 600 closed at once and counted as refused, the
  daemon unharmed.
- A reload that changes a TCP listener closes its connections; senders
  reconnect and are stored.

With --launcher wine64 and --ringestd ringestd.exe the same checks run
against the Windows daemon (AcceptEx and WSARecv on a completion port), all
but the reload, which a SIGHUP drives here.
"""
import argparse
import json
import select
import signal
import socket
import subprocess
import time

from daemon_harness import Daemon, free_port, metric_sum

STOP = signal.SIGTERM  # SIGINT under Wine, where ringestd.exe sees it as Ctrl-C
TCP = 'transport = "tcp"\nidle_timeout_ms = 1500\nmax_connections = 400\n'


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s


def closed_by_server(s, timeout_s=10):
    """True once the server closed `s` (end of stream or a reset)."""
    p = select.poll()  # not select(): a thousand sockets have descriptors past FD_SETSIZE
    p.register(s, select.POLLIN)
    if not p.poll(timeout_s * 1000):
        return False
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def closed_now(clients):
    """The clients the server has closed by now (end of stream or reset readable)."""
    p = select.poll()
    for c in clients:
        p.register(c, select.POLLIN)
    ready = {fd for fd, _ in p.poll(0)}
    return [c for c in clients if c.fileno() in ready and closed_by_server(c, 0)]


def records(dump, data, listener=None):
    out = subprocess.run([dump, "print", "--origin", data], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    recs = [json.loads(line) for line in out.stdout.splitlines()]
    return [r for r in recs if listener is None or r["listener_name"] == listener]


def field(r, key):
    return next(f["value"] for f in r["fields"] if f["key"] == key)


def accounting(m, name):
    received = metric_sum(m, "ringest_received_datagrams_total", listener=name)
    stored = metric_sum(m, "ringest_stored_datagrams_total", listener=name)
    dropped = metric_sum(m, "ringest_dropped_datagrams_total", listener=name)
    return received, stored, dropped


def million_lines(ringestd, dump, count, launcher=()):
    # 256 slots: the shards fall behind the sender and the engine must stop reading.
    d = Daemon(ringestd, listeners=[("graphite", "127.0.0.1:0", "graphite")], listener_extra=TCP,
               extra="[receive]\nslots = 256\nbatch = 64", launcher=launcher).start()
    s = connect(d.ports["graphite"])
    t0 = time.time()
    for i in range(count):
        s.sendall(b"tcp.seq %d %d\n" % (i, 1700000000 + i % 1000))
    s.close()
    m = d.wait_quiet(count, timeout_s=120)
    took = time.time() - t0
    received, stored, dropped = accounting(m, "graphite")
    assert received == stored == count and dropped == 0, (received, stored, dropped)
    assert metric_sum(m, "ringest_points_total", listener="graphite") == count
    stalls = metric_sum(m, "ringest_tcp_receive_stalls_total")
    assert d.stop(STOP) == 0, "\n".join(d.log[-20:])
    values = sorted(int(float(field(r, "value"))) for r in records(dump, d.data))
    assert values == list(range(count)), f"{len(values)} records, {len(set(values))} distinct"
    print(f"tcp: {count} graphite lines sent line by line in {took:.1f} s: {stored:.0f} stored, "
          f"0 dropped, every value once; {stalls:.0f} flow-control stalls with 256 slots")


def formats_and_drops(ringestd, dump, launcher=()):
    d = Daemon(ringestd, listeners=[("influx", "127.0.0.1:0", "influx"), ("syslog", "127.0.0.1:0", "syslog"),
                                    ("carbon", "127.0.0.1:0", "graphite")],
               listener_extra=TCP + "max_line_bytes = 1024\n", launcher=launcher).start()
    s = connect(d.ports["influx"])
    for i in range(2000):
        s.sendall(b"cpu,host=h%d usage=%d.5,n=%di %d\n" % (i % 5, i, i, 1700000000000000000 + i))
    s.close()
    s = connect(d.ports["syslog"])
    for i in range(1000):
        msg = b"<34>1 2024-01-02T03:04:05Z host app %d ID47 - line one of %d\nline two" % (i, i)
        s.sendall(b"%d %s" % (len(msg), msg))  # octet counting: the newline is the message's
    for i in range(1000):
        s.sendall(b"<13>Jan  2 03:04:05 host app[%d]: plain %d\n" % (i, i))  # newline framing
    s.close()
    s = connect(d.ports["carbon"])
    s.sendall(b"ok.one 1 1700000000\n" + b"long " + b"x" * 2000 + b" 1 1700000000\nok.two 2 1700000000\nhal")
    s.close()
    m = d.wait_quiet(2000 + 2000 + 4)
    for name, want_stored, want_drops in (("influx", 2000, {}), ("syslog", 2000, {}),
                                          ("carbon", 2, {"line_too_long": 1, "partial_line": 1})):
        received, stored, dropped = accounting(m, name)
        assert stored == want_stored and received == stored + dropped, (name, received, stored, dropped)
        for reason, n in want_drops.items():
            got = metric_sum(m, "ringest_dropped_datagrams_total", listener=name, reason=reason)
            assert got == n, (name, reason, got)
        assert dropped == sum(want_drops.values()), (name, dropped)
        errors = metric_sum(m, "ringest_parse_errors_total", listener=name)
        assert errors == 0, (name, errors)
    assert d.stop(STOP) == 0
    syslog = records(dump, d.data, "syslog")
    counted = [r for r in syslog if field(r, "message").endswith("\nline two")]
    assert len(syslog) == 2000 and len(counted) == 1000, (len(syslog), len(counted))
    print("tcp: 2,000 line-protocol lines and 2,000 syslog messages (1,000 octet-counted with a newline inside, "
          "1,000 newline-framed) stored, no parse error; a long line and a partial one counted, "
          "received = stored + dropped")


def idle(ringestd, launcher=()):
    d = Daemon(ringestd, listeners=[("carbon", "127.0.0.1:0", "graphite")], listener_extra=TCP,
               launcher=launcher).start()
    port = d.ports["carbon"]
    quiet = connect(port)
    t0 = time.time()
    assert closed_by_server(quiet, 10), "the idle connection was not closed"
    waited = time.time() - t0
    assert 1.0 <= waited <= 5.0, waited
    m = d.metrics()
    assert metric_sum(m, "ringest_tcp_connections_idle_closed_total") == 1
    assert metric_sum(m, "ringest_tcp_connections") == 0
    talker = connect(port)
    for _ in range(6):  # a connection that keeps sending is never idle
        talker.sendall(b"alive 1 1700000000\n")
        time.sleep(0.5)
    assert not closed_by_server(talker, 0)
    talker.close()
    assert d.stop(STOP) == 0
    print(f"tcp: a client that never sent closed after {waited:.1f} s (idle_timeout_ms 1500), counted; "
          "one sending every 0.5 s kept")


def many(ringestd, launcher=(), reload=True):
    d = Daemon(ringestd, listeners=[("carbon", "127.0.0.1:0", "graphite")],
               listener_extra=TCP.replace("idle_timeout_ms = 1500", "idle_timeout_ms = 60000"),
               launcher=launcher).start()
    port = d.ports["carbon"]

    # 1,000 at once: the kernel completes every handshake; ringest keeps 400.
    clients = [connect(port) for _ in range(1000)]
    for i, c in enumerate(clients):
        c.sendall(b"conn.%d 1 1700000000\n" % i)
    m = d.wait_quiet(400)
    deadline = time.time() + 10
    refused = closed_now(clients)
    while len(refused) < 600 and time.time() < deadline:
        time.sleep(0.2)
        refused = closed_now(clients)
    assert len(refused) == 600, len(refused)
    # The snapshot above was taken once the 400 were stored; refusals may
    # still have been counted after it (seen under Wine).
    deadline = time.time() + 10
    while metric_sum(m, "ringest_tcp_connections_refused_total") < 600 and time.time() < deadline:
        time.sleep(0.2)
        m = d.metrics()
    assert metric_sum(m, "ringest_tcp_connections_refused_total") == 600
    assert metric_sum(m, "ringest_tcp_connections_accepted_total") == 400
    assert metric_sum(m, "ringest_tcp_connections") == 400
    received, stored, dropped = accounting(m, "carbon")
    assert received == stored == 400 and dropped == 0, (received, stored, dropped)
    # The kept ones still work.
    kept = [c for c in clients if c not in refused]
    for c in kept:
        c.sendall(b"again 1 1700000000\n")
    m = d.wait_quiet(800)
    assert accounting(m, "carbon")[1] == 800
    for c in clients:
        c.close()
    deadline = time.time() + 10
    while time.time() < deadline and metric_sum(d.metrics(), "ringest_tcp_connections") > 0:
        time.sleep(0.1)
    assert metric_sum(d.metrics(), "ringest_tcp_connections") == 0
    print("tcp: 1,000 connections at once with max_connections 400: 400 kept and stored, 600 refused "
          "(closed at once, counted), all closed cleanly after")

    if not reload:
        assert d.stop(STOP) == 0
        return
    # A reload that changes the listener: its connections close, senders reconnect.
    old = connect(port)
    old.sendall(b"before 1 1700000000\n")
    d.wait_quiet(801)
    d.reload_with("max_connections = 400", "max_connections = 300")
    assert closed_by_server(old, 10)
    new = connect(d.ports["carbon"])
    new.sendall(b"after 1 1700000000\n")
    new.close()
    m = d.wait_quiet(802)
    received, stored, dropped = accounting(m, "carbon")
    assert received == stored == 802 and dropped == 0, (received, stored, dropped)
    assert d.stop(STOP) == 0
    print("tcp: a reload that changed the listener closed its connection; the sender reconnected and was stored")


def udp_to_tcp(ringestd):
    """A reload that turns a UDP listener into a TCP one on the same address:
    the UDP socket is read to the end (nothing queued is lost), the TCP one
    binds beside it."""
    port = free_port()
    d = Daemon(ringestd, listeners=[("carbon", f"127.0.0.1:{port}", "graphite")]).start()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(2000):
        u.sendto(b"udp.%d 1 1700000000\n" % i, ("127.0.0.1", port))
    d.reload_with('format = "graphite"', 'format = "graphite"\ntransport = "tcp"')
    t = connect(port)
    t.sendall(b"tcp.after 1 1700000000\n")
    t.close()
    m = d.wait_quiet(2001)
    received, stored, dropped = accounting(m, "carbon")
    kernel = metric_sum(m, "ringest_dropped_datagrams_total", listener="carbon", stage="kernel")
    assert received == stored + dropped and received + kernel == 2001 and dropped == 0, (received, stored, dropped, kernel)
    assert metric_sum(m, "ringest_tcp_connections_accepted_total") == 1
    assert d.stop(STOP) == 0
    print(f"tcp: a reload from UDP to TCP on port {port}: {stored:.0f} of 2001 stored "
          f"({kernel:.0f} lost in the kernel), the UDP socket read to the end")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--launcher", action="append", default=[], help="run ringestd through this (repeatable)")
    args = ap.parse_args()
    windows = bool(args.launcher)
    global STOP
    if windows:
        STOP = signal.SIGINT
    formats_and_drops(args.ringestd, args.dump, args.launcher)
    idle(args.ringestd, args.launcher)
    many(args.ringestd, args.launcher, reload=not windows)
    if not windows:
        udp_to_tcp(args.ringestd)
    million_lines(args.ringestd, args.dump, args.count, args.launcher)
    print("tcp_input: ok")


if __name__ == "__main__":
    main()
