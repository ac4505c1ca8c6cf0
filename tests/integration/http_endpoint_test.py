"""The metrics endpoint of a running ringestd under attack, while it ingests:
unknown and traversal paths, garbage, 200 idle and half-sent connections.
The daemon keeps running, answers 404/400 where it must, scrapes stay prompt,
and every datagram sent meanwhile is stored or counted (sent = stored +
dropped, from /metrics). Then an IPv6 metrics address serves.
Usage: http_endpoint_test.py --ringestd PATH --loadgen PATH"""
import argparse
import json
import socket
import subprocess
import sys
import time

from daemon_harness import Daemon, metric_sum


def request(port, raw, host="127.0.0.1", family=socket.AF_INET):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect((host, port))
        s.sendall(raw)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def status_of(resp):
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.1 ") else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    args = ap.parse_args()

    d = Daemon(args.ringestd).start()
    port = d.metrics_port
    count, rate = 20000, 10000
    gen = subprocess.Popen([args.loadgen, "--target", f"127.0.0.1:{d.ports['statsd']}", "--count", str(count),
                            "--rate", str(rate)], stdout=subprocess.PIPE, text=True)
    idle = []
    try:
        for path in (b"/", b"/foo", b"/../../etc/passwd", b"/metrics/../../../etc/passwd", b"/%2e%2e/%2e%2e/"):
            resp = request(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            want = 200 if path == b"/" else 404
            assert status_of(resp) == want, f"GET {path}: {resp[:80]!r}"
            assert d.proc.poll() is None, f"ringestd died on GET {path}: exit {d.proc.poll()}"
        assert status_of(request(port, b"\x00\xff garbage\r\n\r\n")) == 400
        assert status_of(request(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")) == 405
        for i in range(200):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            if i % 2:
                s.sendall(b"GET /metr")
            idle.append(s)
        t0 = time.monotonic()
        m = d.metrics()
        scrape_s = time.monotonic() - t0
        assert scrape_s < 5, f"a scrape beside 200 idle connections took {scrape_s:.1f} s"
        ready = request(port, b"GET /-/ready HTTP/1.1\r\n\r\n")
        assert status_of(ready) == 200, ready
    finally:
        for s in idle:
            s.close()
    report = json.loads(gen.communicate(timeout=120)[0])
    assert gen.returncode == 0 and report["sent"] == count, report
    m = d.wait_quiet(count)
    stored = metric_sum(m, "ringest_stored_datagrams_total")
    dropped = metric_sum(m, "ringest_dropped_datagrams_total")
    assert stored + dropped == count, f"sent {count} != stored {stored} + dropped {dropped}"
    rc = d.stop()
    assert rc == 0, f"ringestd exited {rc}:\n" + "\n".join(d.log[-20:])
    print(f"attacked endpoint: sent={count} stored={int(stored)} dropped={int(dropped)}, scrape {scrape_s:.3f} s")

    v6 = Daemon(args.ringestd, metrics_listen="[::1]:0").start()
    try:
        assert v6.metrics_port, "no metrics port logged:\n" + "\n".join(v6.log)
        resp = request(v6.metrics_port, b"GET /-/healthy HTTP/1.1\r\n\r\n", "::1", socket.AF_INET6)
        assert status_of(resp) == 200, resp
        assert metric_sum(v6.metrics("[::1]"), "ringest_received_datagrams_total") == 0
    finally:
        assert v6.stop() == 0
    print("http endpoint: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"http endpoint: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
