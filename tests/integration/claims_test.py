"""Claims of the documentation, tested: a listener with sockets > 1 spreads a
multi-flow load over its sockets with exact accounting; a receive buffer the
OS caps gives the warning and the gauge shows the size granted; where
io_uring cannot be used the engine falls back to recvmmsg by itself and says
why in its log."""

import argparse
import socket
import sys
import time

from daemon_harness import Daemon, metric_sum


def send_flows(port, flows, each, text):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(flows)]
    for i in range(each):
        for k, s in enumerate(socks):
            s.sendto(f"{text}.{k}:{i}|c".encode(), ("127.0.0.1", port))
        if i % 50 == 0:
            time.sleep(0.002)
    for s in socks:
        s.close()
    return flows * each


def sockets_spread(ringestd):
    d = Daemon(ringestd, listener_extra="sockets = 2").start()
    try:
        sent = send_flows(d.ports["statsd"], 32, 100, "spread")
        m = d.wait_quiet(sent)
        per_socket = [metric_sum(m, "ringest_received_datagrams_total", listener="statsd", socket=str(i))
                      for i in range(2)]
        kernel = metric_sum(m, "ringest_dropped_datagrams_total", stage="kernel")
        dropped = metric_sum(m, "ringest_dropped_datagrams_total") - kernel
        stored = metric_sum(m, "ringest_stored_datagrams_total")
        assert all(n > 0 for n in per_socket), f"32 flows all went to one socket: {per_socket}"
        assert sum(per_socket) + kernel == sent and sum(per_socket) == stored + dropped, (per_socket, kernel, stored, dropped)
        print(f"sockets = 2: {sent} datagrams over 32 flows split {per_socket[0]:.0f}/{per_socket[1]:.0f}: ok")
    finally:
        assert d.stop() == 0


def capped_rcvbuf(ringestd):
    with open("/proc/sys/net/core/rmem_max") as f:
        rmem_max = int(f.read())
    asked = min(rmem_max * 4, 2**31 - 1)  # the setting's range
    assert asked > rmem_max, f"net.core.rmem_max {rmem_max} leaves nothing to cap"
    d = Daemon(ringestd, listener_extra=f"rcvbuf_bytes = {asked}").start()
    try:
        warn = [l for l in d.log if "receive buffer" in l and "granted" in l]
        assert len(warn) == 1 and str(asked) in warn[0] and str(rmem_max) in warn[0], d.log
        gauge = metric_sum(d.metrics(), "ringest_socket_receive_buffer_bytes", listener="statsd")
        assert gauge == rmem_max, f"gauge {gauge}, the OS granted {rmem_max}"
        print(f"rcvbuf capped at {rmem_max}: warned, gauge {gauge:.0f}: ok")
    finally:
        assert d.stop() == 0


def uring_fallback(ringestd, without_io_uring):
    d = Daemon(ringestd, launcher=[without_io_uring]).start()
    try:
        line = [l for l in d.log if "listener 'statsd': engine " in l]
        assert line and "engine recvmmsg (auto: recvmmsg works; uring unavailable (" in line[0], d.log
        sent = send_flows(d.ports["statsd"], 2, 50, "fallback")
        m = d.wait_quiet(sent)
        assert metric_sum(m, "ringest_received_datagrams_total", engine="recvmmsg") == sent
        print(f"io_uring refused: {line[0].split('engine ', 1)[1]}: ok")
    finally:
        assert d.stop() == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--without-io-uring", required=True)
    args = ap.parse_args()
    sockets_spread(args.ringestd)
    capped_rcvbuf(args.ringestd)
    uring_fallback(args.ringestd, args.without_io_uring)
    print("claims: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"claims: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
