#!/usr/bin/env python3
"""The Debian package, built, checked, installed and used on this machine.

Builds the package with CPack from the release build, runs lintian on it
(no errors), installs it with dpkg, runs the unit's ExecStartPre and ExecStart
as the ringest user (or, where systemd runs, lets systemd start the unit), sends
StatsD traffic to the example configuration's listener and reads every datagram
back from /var/lib/ringest. Then removes and purges the package and checks what
is left: purge removes the configuration and keeps the data and the user;
RINGEST_PURGE_DATA=yes removes the data too. Needs root (or sudo): it changes
the machine's packages, and refuses to run where ringest is already installed.
"""
import argparse
import glob
import json
import os
import pwd
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SUDO = [] if os.geteuid() == 0 else ["sudo", "-n"]
DATA = "/var/lib/ringest"
CONFIG = "/etc/ringest/ringest.toml"
UNIT = "/lib/systemd/system/ringestd.service"
WANTS = "/etc/systemd/system/multi-user.target.wants/ringestd.service"
STATSD = ("127.0.0.1", 8125)  # the example configuration's listener and metrics
METRICS = "http://127.0.0.1:9310/metrics"


def run(cmd, check=True):
    r = subprocess.run(SUDO + cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "ringest"], capture_output=True, text=True)
    return r.returncode == 0 and "installed" in r.stdout and "not-installed" not in r.stdout


def build_package(cpack, build_dir, out_dir):
    r = subprocess.run([cpack, "-G", "DEB", "--config", os.path.join(build_dir, "CPackConfig.cmake"),
                        "-B", out_dir], capture_output=True, text=True)
    assert r.returncode == 0, f"cpack failed:\n{r.stdout}{r.stderr}"
    debs = glob.glob(os.path.join(out_dir, "ringest_*.deb"))
    assert len(debs) == 1, f"cpack made {debs}"
    return debs[0]


def check_control(deb):
    fields = subprocess.run(["dpkg-deb", "-f", deb], capture_output=True, text=True, check=True).stdout
    depends = next(line for line in fields.splitlines() if line.startswith("Depends:"))
    for lib in ("adduser", "liburing", "libnats"):
        assert lib in depends, f"Depends lacks {lib}: {depends}"
    conffiles = subprocess.run(["dpkg-deb", "-I", deb, "conffiles"], capture_output=True, text=True,
                               check=True).stdout.split()
    assert conffiles == [CONFIG], conffiles
    files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    for path in ("./usr/bin/ringestd", "./usr/bin/ringest-dump", "./lib/systemd/system/ringestd.service",
                 "./etc/ringest/conf.d/", "./usr/share/ringest/grafana-dashboard.json",
                 "./usr/share/doc/ringest/copyright", "./usr/share/doc/ringest/docs/operations.md"):
        assert any(line.endswith(" " + path) for line in files.splitlines()), f"{path} not in the package"
    print(f"package: {os.path.basename(deb)}; {depends}")


def lintian(deb):
    r = subprocess.run(["lintian", "--tag-display-limit", "0", deb], capture_output=True, text=True)
    errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
    assert not errors and r.returncode in (0, 1) and "error" not in r.stderr.lower(), \
        f"lintian (rc {r.returncode}):\n{r.stdout}{r.stderr}"
    warnings = [line for line in r.stdout.splitlines() if line.startswith("W:")]
    print(f"lintian: 0 errors, {len(warnings)} warnings" + "".join("\n  " + w for w in warnings))


def unit_commands():
    with open(UNIT) as f:
        unit = f.read()
    lines = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    assert lines["User"] == "ringest" and lines["WorkingDirectory"] == DATA, lines
    return shlex.split(lines["ExecStartPre"]), shlex.split(lines["ExecStart"])


def metric(name):
    with urllib.request.urlopen(METRICS, timeout=5) as r:
        text = r.read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


def wait_for(what, cond, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if cond():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def send_and_count(count):
    sent = subprocess.run(["/usr/bin/ringest-loadgen", "--target", f"{STATSD[0]}:{STATSD[1]}",
                           "--count", str(count), "--rate", "5000"],
                          capture_output=True, text=True, check=True)
    assert json.loads(sent.stdout)["sent"] == count, sent.stdout
    wait_for(f"{count} datagrams stored", lambda: metric("ringest_stored_datagrams_total") >= count, 30)


def port_free(addr, kind):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the daemon binds: TIME_WAIT is no obstacle
    try:
        s.bind(addr)
        return True
    except OSError:
        return False
    finally:
        s.close()


def run_unit_by_hand(count):
    """What systemd would do with the unit, where systemd is not running."""
    pre, start = unit_commands()
    as_user = ["setpriv", "--reuid=ringest", "--regid=ringest", "--init-groups", "--"]
    check = run(as_user + pre)
    assert f"{CONFIG}: ok" in check.stdout + check.stderr, check.stdout + check.stderr
    assert port_free(STATSD, socket.SOCK_DGRAM) and port_free(("127.0.0.1", 9310), socket.SOCK_STREAM), \
        "the example configuration's ports 8125/udp and 9310/tcp are in use on this machine"
    log = tempfile.TemporaryFile(mode="w+")
    daemon = subprocess.Popen(SUDO + as_user + start, cwd=DATA, stdout=log, stderr=subprocess.STDOUT)

    def logged():
        log.seek(0)
        return log.read()[-3000:]

    try:
        # /metrics is served before the listeners are bound: "ready" comes after both.
        wait_for("ringestd to log ready", lambda: " ready" in logged(), 30)
        send_and_count(count)
        if SUDO:  # sudo passes the signal on to ringestd
            run(["kill", "-TERM", str(daemon.pid)])
        else:
            daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(timeout=60)
    except AssertionError as e:
        raise AssertionError(f"{e}\nringestd's log:\n{logged()}") from None
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    out = logged()
    assert rc == 0, f"ringestd exited {rc}:\n{out}"
    assert " ready" in out and "draining" in out, out


def run_unit_with_systemd(count):
    run(["systemctl", "is-active", "--quiet", "ringestd"])
    send_and_count(count)
    run(["systemctl", "stop", "ringestd"])


def stored_records():
    verify = run(["/usr/bin/ringest-dump", "verify", DATA])
    assert '"damage":0' in verify.stdout, verify.stdout
    dump = run(["/usr/bin/ringest-dump", DATA])
    return sum(1 for line in dump.stdout.splitlines() if line.strip())


def owned_by_ringest(path):
    uid = pwd.getpwnam("ringest").pw_uid
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            assert os.stat(name).st_uid == uid, f"{name} is not owned by ringest"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpack", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--count", type=int, default=10000)
    args = ap.parse_args()
    if SUDO and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode != 0:
        sys.exit("package test: needs root or password-less sudo to install the package")
    if installed():
        sys.exit("package test: ringest is installed on this machine; it installs and purges "
                 "the package itself, so remove it first (dpkg --purge ringest)")
    assert not os.path.exists(DATA), f"{DATA} exists from an earlier installation; remove it first"
    try:
        pwd.getpwnam("ringest")
        user_was_there = True
    except KeyError:
        user_was_there = False

    with tempfile.TemporaryDirectory(prefix="ringest-package-") as out:
        deb = build_package(args.cpack, args.build_dir, out)
        check_control(deb)
        lintian(deb)
        try:
            run(["dpkg", "-i", deb])
            assert installed()
            assert pwd.getpwnam("ringest").pw_dir == DATA
            assert os.path.isdir("/etc/ringest/conf.d") and not os.listdir("/etc/ringest/conf.d")
            assert os.path.islink(WANTS), "the unit is not enabled"
            with open(CONFIG) as f:
                assert f'dir = "{DATA}"' in f.read(), "the installed configuration does not store in " + DATA
            if os.path.isdir("/run/systemd/system"):
                run_unit_with_systemd(args.count)
            else:
                run_unit_by_hand(args.count)
            stored = stored_records()
            assert stored == args.count, f"sent {args.count}, read back {stored}"
            owned_by_ringest(DATA)
            print(f"installed: {args.count} datagrams sent, {stored} read back from {DATA}")

            # Installed again over itself (as an upgrade runs the scripts): an
            # edited configuration is the administrator's and stays.
            run(["sh", "-c", f"echo '# edited by the administrator' >> {CONFIG}"])
            run(["dpkg", "--force-confold", "-i", deb])
            with open(CONFIG) as f:
                assert "# edited by the administrator" in f.read(), "reinstalling replaced an edited conffile"
            assert os.path.islink(WANTS) and stored_records() == args.count
            print("reinstalled: the edited configuration kept, the unit enabled, the data intact")

            run(["dpkg", "--remove", "ringest"])
            assert not os.path.exists("/usr/bin/ringestd") and os.path.exists(CONFIG), \
                "remove keeps the configuration and takes the binaries"
            run(["dpkg", "--purge", "ringest"])
            assert not os.path.exists("/etc/ringest"), os.listdir("/etc/ringest")
            assert not os.path.lexists(WANTS), "purge left the unit enabled"
            assert os.path.isdir(DATA) and glob.glob(os.path.join(DATA, "*")), "purge removed the data"
            pwd.getpwnam("ringest")  # the user stays with the files it owns
            print(f"purged: configuration gone; {DATA} and the ringest user kept")

            run(["dpkg", "-i", deb])
            run(["env", "RINGEST_PURGE_DATA=yes", "dpkg", "--purge", "ringest"])
            assert not os.path.exists(DATA), f"RINGEST_PURGE_DATA=yes left {DATA}"
            print(f"purged with RINGEST_PURGE_DATA=yes: {DATA} gone")
        finally:
            if installed():
                run(["dpkg", "--purge", "ringest"], check=False)
            run(["rm", "-rf", DATA], check=False)
            if not user_was_there:
                run(["deluser", "--system", "ringest"], check=False)
    print("package: ok")


if __name__ == "__main__":
    main()
