"""Every wire format end to end: `ringestd parse` (its JSON lines and exit
codes), then a daemon with one listener per format, fed datagrams that mix
good and bad lines over loopback — the good lines are stored (read back with
ringest-dump) and each bad one is counted by format and reason."""

import argparse
import json
import os
import socket
import subprocess
import sys

from daemon_harness import Daemon, metric_sum, scratch_dir


def parse(exe, fmt, data, *extra, files=None):
    args = [exe, "parse", "--format", fmt, *extra] + (files or [])
    r = subprocess.run(args, input=data, capture_output=True, timeout=30)
    return r.returncode, [json.loads(line) for line in r.stdout.decode().splitlines()]


def check_parse_command(exe, tmp):
    rc, out = parse(exe, "statsd", b"a:1|c|#k:v,solo|@0.5\nbad line\n\n_sc|chk|2|m:down")
    assert rc == 1, (rc, out)
    assert out[0] == {"measurement": "a", "tags": [["k", "v"], ["metric_type", "counter"], ["solo", ""]],
                      "fields": [{"key": "value", "type": "float", "value": 1},
                                 {"key": "sample_rate", "type": "float", "value": 0.5}],
                      "time_ns": out[0]["time_ns"]}, out[0]
    assert out[1] == {"error": "missing_colon", "line": 2}, out[1]
    assert out[2]["measurement"] == "statsd_service_check", out[2]

    rc, out = parse(exe, "influx", b"cpu,host=a u=1u,i=-2i,s=\"x\",b=t 1700000000\n", "--precision", "s")
    assert rc == 0, (rc, out)
    assert out == [{"measurement": "cpu", "tags": [["host", "a"]],
                    "fields": [{"key": "u", "type": "uint", "value": "1"},
                               {"key": "i", "type": "int", "value": "-2"},
                               {"key": "s", "type": "string", "value": "x"},
                               {"key": "b", "type": "bool", "value": True}],
                    "time_ns": 1700000000 * 10**9}], out

    # One datagram per file, each exactly as it is on disk.
    files = []
    for i, body in enumerate([b"a.b 1 2\n", b"x;k=v 3 4\nnot valid\n"]):
        path = os.path.join(tmp, f"g{i}")
        with open(path, "wb") as f:
            f.write(body)
        files.append(path)
    rc, out = parse(exe, "graphite", b"", files=files)
    assert rc == 1, (rc, out)
    assert [o.get("measurement", o.get("error")) for o in out] == ["a.b", "x", "invalid_line"], out
    assert out[2]["line"] == 2, out

    rc, out = parse(exe, "syslog", b"<165>1 2003-10-11T22:14:15.003Z host app 1 ID [sd a=\"b\"] hi")
    assert rc == 0 and out[0]["measurement"] == "syslog", (rc, out)

    for bad in (["--format", "carrier-pigeon"], ["--format", "influx", "--precision", "min"], []):
        r = subprocess.run([exe, "parse", *bad], input=b"", capture_output=True, timeout=30)
        assert r.returncode == 2, (bad, r)
    r = subprocess.run([exe, "parse", "--format", "statsd", os.path.join(tmp, "missing")],
                       capture_output=True, timeout=30)
    assert r.returncode == 2 and b"missing" in r.stderr, r


def check_daemon(exe, dump):
    d = Daemon(exe, listeners=[("sd", "127.0.0.1:0", "statsd"), ("lp", "127.0.0.1:0", "influx"),
                               ("gr", "127.0.0.1:0", "graphite"), ("sl", "127.0.0.1:0", "syslog")]).start()
    try:
        datagrams = {
            "sd": [b"good.a:1|c\nbad.a|c\ngood.b:2|g\nbad.b:x|c\n_e{2,2}:ok|ev",
                   b"newer.client:1|c|#a:b|x:future|e:it-1|card:low|q1|q2|"],
            "lp": [b"m1 f=1\nm2 f=\nm3,t=1 f=2i 17\n# comment\nm4"],
            "gr": [b"g.one 1 1700000000\ng.two nan 1\ng.three 3 -1\n"],
            "sl": [b"<14>1 - host app - - - five", b"<14>Jun  1 00:00:00 host app: three", b"<999>nope"],
        }
        sent = 0
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for name, payloads in datagrams.items():
            for p in payloads:
                s.sendto(p, ("127.0.0.1", d.ports[name]))
                sent += 1
        m = d.wait_quiet(sent)
        errors = {
            ("statsd", "missing_colon"): 1, ("statsd", "invalid_value"): 1,
            ("influx", "invalid_field"): 1, ("influx", "missing_field"): 1,
            ("graphite", "nan_value"): 1,
            ("syslog", "invalid_priority"): 1,
        }
        for (fmt, reason), want in errors.items():
            got = metric_sum(m, "ringest_parse_errors_total", format=fmt, reason=reason)
            assert got == want, (fmt, reason, got)
        total = metric_sum(m, "ringest_parse_errors_total")
        assert total == sum(errors.values()), total
        # Sections a newer DogStatsD client adds are skipped and counted, the line kept.
        skipped = {labels_what: metric_sum(m, "ringest_parse_skipped_total", listener="sd", what=labels_what)
                   for labels_what in ("unknown_section_x", "unknown_section_q", "unknown_section_empty")}
        assert skipped == {"unknown_section_x": 1, "unknown_section_q": 2, "unknown_section_empty": 1}, skipped
        assert metric_sum(m, "ringest_parse_skipped_total") == 4
        points = {fmt: metric_sum(m, "ringest_points_total", format=fmt)
                  for fmt in ("statsd", "influx", "graphite", "syslog")}
        assert points == {"statsd": 4, "influx": 2, "graphite": 2, "syslog": 2}, points
    finally:
        assert d.stop() == 0, "\n".join(d.log[-20:])
    r = subprocess.run([dump, d.data], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    names = sorted(json.loads(line).get("measurement", "") for line in r.stdout.splitlines())
    want = sorted(["good.a", "good.b", "statsd_event", "newer.client", "m1", "m3", "g.one", "g.three", "syslog",
                   "syslog"])
    assert names == want, names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--dump", required=True)
    a = ap.parse_args()
    check_parse_command(a.ringestd, scratch_dir("ringest-parse-"))
    check_daemon(a.ringestd, a.dump)
    print("formats: ok")


if __name__ == "__main__":
    sys.exit(main())
