"""ringestd.exe as a Windows service under Wine's service control manager:
`ringestd service install | status | start | reload | stop | uninstall`, the service
receiving StatsD from the Linux ringest-loadgen with exact reconciliation,
SERVICE_CONTROL_STOP draining like SIGTERM, segments the Linux ringest-dump
verifies clean, and a service whose configuration is bad failing to start
with its exit code reported and the key and line named in its log file."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

NOT_RUNNING, NOT_INSTALLED = 3, 4


class Service:
    def __init__(self, wine, exe, name):
        self.wine, self.exe, self.name = wine, exe, name

    def run(self, action, *extra, expect=0):
        r = subprocess.run([self.wine, self.exe, "service", action, "--name", self.name, *extra],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        assert r.returncode == expect, f"service {action}: exit {r.returncode}, expected {expect}: {out}"
        return out


def write_config(directory, body):
    path = os.path.join(directory, "ringest.toml")
    with open(path, "w") as f:
        f.write(body)
    return path


def wait_for_log(path, pattern, timeout_s=30):
    deadline = time.time() + timeout_s
    text = ""
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            m = re.search(pattern, text)
            if m:
                return m
        time.sleep(0.1)
    raise AssertionError(f"{path}: no line matching {pattern!r}:\n{text[-3000:]}")


def check_running_service(args, work):
    # A relative storage directory: the service starts in the system directory
    # and must resolve it against the configuration's own.
    config = write_config(work, '[storage]\ndir = "data"\n[metrics]\nlisten = "127.0.0.1:0"\n'
                                '[[listener]]\nname = "statsd"\naddress = "127.0.0.1:0"\n')
    svc = Service(args.wine, args.ringestd, f"ringest-test-{os.getpid()}")
    log = os.path.join(work, svc.name + ".log")
    try:
        out = svc.run("install", "--config", config, "--demand-start")
        assert "--config" in out and "--log-file" in out, out
        assert "stopped" in svc.run("status", expect=NOT_RUNNING)

        out = svc.run("start")
        assert re.search(r"running \(pid \d+\)", out), out
        assert "running" in svc.run("status")
        text = wait_for_log(log, r"(?s)as a service.*ready").string
        port = int(re.search(r"listener 'statsd': .* port (\d+)", text).group(1))
        metrics_port = int(re.search(r"metrics on http://[^:]+:(\d+)/metrics", text).group(1))
        url = f"http://127.0.0.1:{metrics_port}/metrics"

        count = 3000
        gen = subprocess.run([args.loadgen, "--target", f"127.0.0.1:{port}", "--count", str(count),
                              "--rate", "1000", "--check-metrics", url], capture_output=True, text=True, timeout=120)
        assert gen.returncode == 0, f"loadgen --check-metrics: exit {gen.returncode}: {gen.stdout}{gen.stderr}"

        # PARAMCHANGE reloads, as SIGHUP does on Linux.
        svc.run("reload")
        wait_for_log(log, r"service paramchange: reloading")
        wait_for_log(log, r"reload: applied")

        out = svc.run("stop")
        assert "stopped (exit code 0)" in out, out
        text = wait_for_log(log, r"stopped: received \d+.*").string
        assert "service stop: draining" in text, text[-2000:]
        m = re.search(r"stopped: received (\d+), stored (\d+), dropped (\d+) after receive", text)
        received, stored, dropped = map(int, m.groups())
        assert received == count and stored + dropped == count and dropped == 0, m.group(0)

        data = os.path.join(work, "data")
        assert os.path.isdir(data), f"the service did not store under the config's directory: {os.listdir(work)}"
        verify = subprocess.run([args.dump, "verify", data], capture_output=True, text=True)
        summary = json.loads(verify.stdout.strip().splitlines()[-1])
        assert verify.returncode == 0 and summary["damage"] == 0, verify.stdout + verify.stderr
        assert summary["records"] == count, summary
        print(f"service: sent={count} stored={stored} verify={summary}")

        svc.run("uninstall")
        assert "not installed" in svc.run("status", expect=NOT_INSTALLED)
    finally:
        subprocess.run([args.wine, args.ringestd, "service", "uninstall", "--name", svc.name],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)


def check_bad_config(args, work):
    config = write_config(work, '[storage]\ndir = "data"\n[receive]\nslots = 7\n')
    svc = Service(args.wine, args.ringestd, f"ringest-bad-{os.getpid()}")
    log = os.path.join(work, svc.name + ".log")
    try:
        svc.run("install", "--config", config, "--demand-start", "--no-restart")
        out = svc.run("start", expect=1)
        assert "did not start: exit code 78" in out, out
        m = wait_for_log(log, r"critical .*")
        assert "ringest.toml:4: receive.slots" in m.group(0), m.group(0)
        assert "stopped (exit code 78)" in svc.run("status", expect=NOT_RUNNING)
        svc.run("uninstall")
        print(f"bad config: {m.group(0)}")
    finally:
        subprocess.run([args.wine, args.ringestd, "service", "uninstall", "--name", svc.name],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wine", required=True)
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args()
    for check in (check_running_service, check_bad_config):
        work = tempfile.mkdtemp(prefix="ringest wine ")  # a space: the recorded command line must quote
        try:
            check(args, work)
        except Exception:  # a failed check, or a service command that hung
            for name in sorted(os.listdir(work)):  # the service's own log says what happened to it
                if name.endswith(".log"):
                    with open(os.path.join(work, name), errors="replace") as f:
                        print(f"--- {name}:\n{f.read()[-4000:]}", file=sys.stderr)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("wine service: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"wine service: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
