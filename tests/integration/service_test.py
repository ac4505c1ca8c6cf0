"""Running ringestd like production: SIGHUP reload that adds and removes a
listener while load runs on another (exact accounting on the untouched one),
an invalid reload that keeps the old configuration, sd_notify messages,
readiness and health endpoints, JSON logs, and SIGTERM in the middle of load
with nothing unaccounted."""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from daemon_harness import Daemon, wait_log, metric_sum, scratch_dir


def http_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def write_config(d, listeners, extra=""):
    cfg = [f'[storage]\ndir = "{d.data}"', '[metrics]\nlisten = "127.0.0.1:0"', "[parser]\nthreads = 2", extra]
    for name, address in listeners:
        cfg.append(f'[[listener]]\nname = "{name}"\naddress = "{address}"\nformat = "statsd"')
    with open(d.config, "w") as f:
        f.write("\n".join(cfg) + "\n")


def dump_records(dump, data):
    out = subprocess.run([dump, "--origin", data], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return [json.loads(line) for line in out.stdout.splitlines()]


def check_dashboard_metrics(d):
    """Every metric the shipped Grafana dashboard queries is one the daemon serves."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "configs", "grafana-dashboard.json")) as f:
        dashboard = json.load(f)
    # Row panels only group the panels below them and carry no queries.
    exprs = [t["expr"] for p in dashboard["panels"] if p["type"] != "row" for t in p["targets"]]
    assert len(exprs) > 20, f"the dashboard queries too little: {len(exprs)} expressions"
    wanted = {re.sub(r"_bucket$", "", n) for e in exprs for n in re.findall(r"\b((?:ringest|process)_[a-z_]+)", e)}
    with urllib.request.urlopen(f"http://127.0.0.1:{d.metrics_port}/metrics", timeout=10) as r:
        served = set(re.findall(r"^# TYPE (\S+) ", r.read().decode(), re.M))
    missing = sorted(wanted - served)
    assert not missing, f"dashboard queries metrics the daemon does not serve: {missing}"


def test_unit_file():
    """The systemd unit is what the service contract says, and systemd accepts it."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "configs", "ringestd.service")) as f:
        unit = f.read()
    for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "RestartPreventExitStatus=64 78",
                 "AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                 "User=ringest"):
        assert line in unit.splitlines(), line
    analyze = shutil.which("systemd-analyze")
    if analyze:
        path = os.path.join(scratch_dir("ringest-unit-"), "ringestd.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/bin/ringestd", "/bin/true"))
        r = subprocess.run([analyze, "verify", path], capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr.strip(), r.stderr
        print("unit: systemd-analyze verify clean")
    else:
        print("unit: systemd-analyze not installed; checked the unit's lines only")


def test_reload_and_notify(args):
    notify_path = os.path.join(scratch_dir("ringest-notify-"), "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    os.environ["NOTIFY_SOCKET"] = notify_path
    os.environ["WATCHDOG_USEC"] = "400000"
    d = Daemon(args.ringestd, listeners=[("steady", "127.0.0.1:0", "statsd"), ("old", "127.0.0.1:0", "statsd")])
    try:
        d.start()
    finally:
        del os.environ["NOTIFY_SOCKET"]
        del os.environ["WATCHDOG_USEC"]

    # Read every message as it comes, as a service manager does (the
    # kernel keeps only a few unread datagrams per socket).
    seen = []

    def reader():
        while True:
            try:
                seen.append(notify.recv(4096).decode())
            except OSError:
                return

    threading.Thread(target=reader, daemon=True).start()
    cursor = [0]

    def expect(prefix, timeout_s=20):
        # The next message starting with `prefix`; watchdog pings and the
        # messages of steps not asserted on come in between.
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            while cursor[0] < len(seen):
                msg = seen[cursor[0]]
                cursor[0] += 1
                if msg.startswith(prefix):
                    return msg
            time.sleep(0.02)
        raise AssertionError(f"no {prefix!r} from sd_notify; got {[m.split(chr(10))[0] for m in seen[-10:]]}")

    assert "READY=1" in expect("READY=1")
    assert expect("WATCHDOG=1")  # WATCHDOG_USEC asks for pings
    assert http_status(d.metrics_port, "/-/ready") == 200
    assert http_status(d.metrics_port, "/-/healthy") == 200
    check_dashboard_metrics(d)

    # "old" receives a few datagrams before it is removed; its series stay
    # with those totals after the reload (counters never go backwards).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(3):
        s.sendto(f"before.removal:{i}|c".encode(), ("127.0.0.1", d.ports["old"]))
    deadline = time.time() + 10
    while metric_sum(d.metrics(), "ringest_received_datagrams_total", listener="old") < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert metric_sum(d.metrics(), "ringest_received_datagrams_total", listener="old") == 3

    steady = d.ports["steady"]
    gen = subprocess.Popen([args.loadgen, "-t", f"127.0.0.1:{steady}", "-n", "200000", "-r", "50000"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    # Reload: "old" goes, "new" arrives, "steady" is untouched.
    # "steady" is written exactly as before (port 0 means: keep the port it has).
    write_config(d, [("steady", "127.0.0.1:0"), ("new", "127.0.0.1:0")])
    d.proc.send_signal(signal.SIGHUP)
    assert expect("RELOADING=1")
    assert expect("READY=1")
    wait_log(d, r"reload: applied")
    line = wait_log(d, r"listener 'new': .* port \d+$")
    new_port = int(line.rsplit(" ", 1)[1])
    s.sendto(b"arrived.on.new:1|c", ("127.0.0.1", new_port))
    m = d.metrics()
    assert metric_sum(m, "ringest_config_last_reload_successful") == 1
    # The removed listener's counters stay, with their final totals.
    assert metric_sum(m, "ringest_received_datagrams_total", listener="old") == 3, \
        [(n, l, v) for (n, l), v in m.items() if dict(l).get("listener") == "old"]

    # An invalid configuration is refused; the running one stays.
    with open(d.config, "w") as f:
        f.write('[storage]\ndir = "x"\n[[listener]]\nname = "steady"\nsockets = 0\n')
    d.proc.send_signal(signal.SIGHUP)
    err = wait_log(d, r"reload: .*sockets")
    assert ":5:" in err and "listener[0].sockets" in err, err
    deadline = time.time() + 10
    while metric_sum(d.metrics(), "ringest_config_last_reload_successful") != 0 and time.time() < deadline:
        time.sleep(0.1)
    assert metric_sum(d.metrics(), "ringest_config_last_reload_successful") == 0

    # An empty file and a directory in its place are refused the same way.
    with open(d.config, "w") as f:
        f.write("\n")
    d.proc.send_signal(signal.SIGHUP)
    wait_log(d, r"reload: .*empty configuration file.*unchanged")
    os.remove(d.config)
    os.mkdir(d.config)
    d.proc.send_signal(signal.SIGHUP)
    wait_log(d, r"reload: .*not a regular file.*unchanged")
    os.rmdir(d.config)

    # Moving "steady" onto an address in use fails and names it; the old
    # socket keeps receiving (the load's accounting below includes it).
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    write_config(d, [("steady", f"127.0.0.1:{busy.getsockname()[1]}"), ("new", "127.0.0.1:0")])
    d.proc.send_signal(signal.SIGHUP)
    err = wait_log(d, r"reload: not applied in full")
    assert "steady" in err, err
    assert metric_sum(d.metrics(), "ringest_config_last_reload_successful") == 0
    busy.close()

    sent = json.loads(gen.communicate(timeout=120)[0])["sent"]
    m = d.wait_quiet(sent)
    steady_dropped = metric_sum(m, "ringest_dropped_datagrams_total", listener="steady")
    assert d.stop() == 0
    assert expect("STOPPING=1")
    records = dump_records(args.dump, d.data)
    steady = [r for r in records if r["listener"] == 0]  # the first listener configured has id 0
    steady_seqs = {int(dict(r["tags"])["seq"]) for r in steady}
    steady_stored = len(steady)
    assert steady_stored == len(steady_seqs), "duplicates on the steady listener"
    assert sent == steady_stored + steady_dropped, (sent, steady_stored, steady_dropped)
    assert sum(1 for r in records if r["measurement"] == "arrived.on.new") == 1
    assert sum(1 for r in records if r["measurement"] == "before.removal") == 3
    print(f"reload: steady sent={sent} stored={steady_stored} dropped={int(steady_dropped)}")


def test_sigterm_under_load_and_json_logs(args):
    d = Daemon(args.ringestd)
    d.start_args = ["--log-format", "json"]
    d.start()
    for line in d.log:
        json.loads(line)  # every line is one JSON object
    gen = subprocess.Popen([args.loadgen, "-t", f"127.0.0.1:{d.ports['statsd']}", "-n", "3000000", "-r", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(1.0)
    assert d.stop() == 0
    gen.kill()
    gen.wait()
    summary = json.loads(d.log[-1])["msg"]
    m = re.search(r"received (\d+), stored (\d+), dropped (\d+) after receive", summary)
    assert m, summary
    received, stored, dropped = map(int, m.groups())
    assert received > 0 and received == stored + dropped, summary
    # Millions of records: counted and checked by the dump, not parsed here.
    verify = subprocess.run([args.dump, "verify", d.data], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr[-2000:]
    result = json.loads(verify.stdout.strip().splitlines()[-1])
    assert result["damage"] == 0 and result["records"] == stored, (result, summary)
    print(f"sigterm: {summary}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args()
    test_unit_file()
    test_reload_and_notify(args)
    test_sigterm_under_load_and_json_logs(args)
    print("service: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"service: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
