#!/usr/bin/python3
"""ringestd side by side with the daemons users run today, under the same load
from ringest-loadgen: rsyslog (imudp → file, 4 MiB receive buffer), collectd
(statsd plugin), Etsy StatsD (node, a backend that does nothing) and, given
its source (--brubeck-src), brubeck: the fastest StatsD aggregator measured
here, built from that unmodified source with the two fixes Debian 12 needs
(see build_brubeck), 1 worker, recvmmsg of 64.

Loads: 1-line StatsD datagrams, 30-line StatsD datagrams (statsd-counters:
counters only, one in ten with a sample rate, which every StatsD peer takes —
brubeck has no sets, and logs each line it rejects with a write to stderr),
RFC 5424 syslog lines. For each daemon and
load: its CPU at rest (5 s with no traffic after it started), then a ladder
of offered rates, 3 s each, against one running daemon.

Loss per step: datagrams the kernel dropped on the daemon's socket (the drops
column of /proc/net/udp{,6}, a delta), or, where the daemon counts what it
kept — ringestd's stored datagrams, rsyslog's lines in its output file — sent
minus kept, whichever is larger. CPU: utime + stime of the daemon's process
(/proc/PID/stat) over the step, divided by datagrams (and lines) received.

Prints one markdown table and writes a PNG chart of CPU per datagram against
offered rate. Run it through bench/peers, which installs the peers first."""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from daemon_harness import Daemon, free_port, metric_sum  # noqa: E402
from process_cpu import process_cpu_ns as proc_cpu_ns  # noqa: E402

LOSS_LIMIT = 0.001



def socket_state(port):
    """(drops, queued bytes) summed over every UDP socket bound to `port`."""
    drops = queued = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if int(f[1].split(":")[1], 16) == port:
                queued += int(f[4].split(":")[1], 16)
                drops += int(f[-1])
    return drops, queued


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if bound(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on UDP port {port}")


def bound(port):
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in open(table).read().splitlines()[1:]:
            if int(line.split()[1].split(":")[1], 16) == port:
                return True
    return False


class Peer:
    """A daemon under test: start(), pid, port, kept() (or None), rejected()
    (or None), stop()."""
    name = "?"

    def rejected(self):
        """Lines the daemon rejected so far, where it tells; a load it rejects
        part of is not the load the others got."""
        return None

    def kept(self):
        return None


class Ringestd(Peer):
    name = "ringestd"

    def __init__(self, build, fmt, work):
        os.makedirs(work, exist_ok=True)
        self.d = Daemon(f"{build}/daemon/ringestd", workdir=work, listeners=[("in", "127.0.0.1:0", fmt)])

    def start(self):
        self.d.start()
        self.pid, self.port = self.d.proc.pid, self.d.ports["in"]

    def kept(self):
        m = self.d.metrics()
        return metric_sum(m, "ringest_stored_datagrams_total")

    def rejected(self):
        return metric_sum(self.d.metrics(), "ringest_parse_errors_total")

    def stop(self):
        self.d.stop()


class Process(Peer):
    """A peer run as the command line self.cmd, listening on self.port."""

    def __init__(self, work):
        os.makedirs(work, exist_ok=True)
        self.work, self.port = work, free_port()

    def write_config(self, name, text):
        """Writes `text` to `name` in the work directory; returns its path."""
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    stderr_log = None  # where start() sends the peer's stderr (else /dev/null)

    def start(self):
        err = open(self.stderr_log, "w") if self.stderr_log else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=err)
        self.pid = self.proc.pid
        wait_port(self.port)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Rsyslog(Process):
    name = "rsyslog"

    def __init__(self, work):
        super().__init__(work)
        self.out = os.path.join(work, "out.log")
        conf = self.write_config(
            "rsyslog.conf",
            f'global(workDirectory="{work}")\n'
            'module(load="imudp")\n'
            f'input(type="imudp" address="127.0.0.1" port="{self.port}" rcvbufSize="4m")\n'
            'template(name="line" type="string" string="%msg%\\n")\n'
            f'*.* action(type="omfile" file="{self.out}" template="line")\n')
        self.cmd = ["rsyslogd", "-n", "-f", conf, "-i", os.path.join(work, "rsyslogd.pid")]

    def kept(self):
        try:
            with open(self.out, "rb") as f:
                return sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b""))
        except FileNotFoundError:
            return 0


BRUBECK_SOURCES = ["brubeck.c"] + [f"src/{f}.c" for f in (
    "backend", "backends/carbon", "bloom", "city", "histogram", "ht", "http", "internal_sampler", "log",
    "metric", "sampler", "samplers/statsd-secure", "samplers/statsd", "server", "setproctitle", "slab", "utils")]


def patch(path, old, new, count=1):
    with open(path) as f:
        text = f.read()
    if text.count(old) < count:
        raise RuntimeError(f"{path}: the fix does not apply (is this brubeck ebbd222?): {old!r}")
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def build_brubeck(src, out):
    """Copies brubeck's source to `out` (the given tree stays as it is), makes
    the two fixes it needs on Debian 12 and builds it against Debian's libck:
    - statsd.c counted and parsed all 64 recvmmsg slots instead of the `res`
      datagrams received (upstream issue #56);
    - statsd-secure.c kept an HMAC_CTX on the stack, which OpenSSL 3 does not
      allow: HMAC_CTX_new/HMAC_CTX_free."""
    exe = os.path.join(out, "brubeck")
    if os.path.exists(exe):
        return exe
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src, out, ignore=shutil.ignore_patterns(".git", "vendor", "*.o"))
    statsd = os.path.join(out, "src", "samplers", "statsd.c")
    patch(statsd, "brubeck_atomic_add(&statsd->sampler.inflow, SIM_PACKETS);",
          "brubeck_atomic_add(&statsd->sampler.inflow, res);")
    with open(statsd) as f:
        text = f.read()
    at = text.index("brubeck_atomic_add(&statsd->sampler.inflow, res);")
    loop = "for (i = 0; i < SIM_PACKETS; ++i) {"
    end = text.index(loop, at)
    text = text[:end] + "for (i = 0; i < res; ++i) {" + text[end + len(loop):]
    with open(statsd, "w") as f:
        f.write(text)
    secure = os.path.join(out, "src", "samplers", "statsd-secure.c")
    patch(secure, "HMAC_CTX ctx;", "HMAC_CTX *ctx = HMAC_CTX_new();")
    patch(secure, "HMAC_CTX_init(&ctx);\n", "")
    patch(secure, "HMAC_CTX_cleanup(&ctx);", "HMAC_CTX_free(ctx);")
    patch(secure, "(&ctx", "(ctx", count=4)
    subprocess.run(["gcc", "-O3", "-g", "-Wno-deprecated-declarations", "-Wno-strict-aliasing", "-Isrc",
                    "-DNDEBUG=1", '-DGIT_SHA="ebbd222"', "-DBRUBECK_HAVE_MICROHTTPD", *BRUBECK_SOURCES,
                    "-o", "brubeck", "-lm", "-pthread", "-lrt", "-lcrypto", "-ljansson", "-lmicrohttpd", "-lck"],
                   cwd=out, check=True)
    return exe


class Brubeck(Process):
    name = "brubeck"

    def __init__(self, exe, work):
        super().__init__(work)
        # Its best single-core setting; the carbon backend keeps running when
        # nothing listens on its port.
        conf = self.write_config("brubeck.json", json.dumps({
            "sharding": False, "server_name": "bench", "dumpfile": os.path.join(work, "brubeck.dump"),
            "capacity": 15, "expire": 20,
            "backends": [{"type": "carbon", "address": "127.0.0.1", "port": free_port(), "frequency": 10}],
            "samplers": [{"type": "statsd", "address": "127.0.0.1", "port": self.port, "workers": 1,
                          "multisock": False, "multimsg": 64}]}))
        self.cmd = [exe, "--config", conf]
        self.stderr_log = os.path.join(work, "brubeck.log")

    def rejected(self):
        # brubeck logs a line to stderr for each line it can't parse (no sets, for one).
        with open(self.stderr_log) as f:
            return f.read().count("event=packet_drop")


class Collectd(Process):
    name = "collectd"

    def __init__(self, work):
        super().__init__(work)
        conf = self.write_config(
            "collectd.conf",
            f'Hostname "bench"\nFQDNLookup false\nInterval 10\nBaseDir "{work}"\n'
            f'PIDFile "{work}/collectd.pid"\nPluginDir "/usr/lib/collectd"\n'
            'TypesDB "/usr/share/collectd/types.db"\nLoadPlugin statsd\n'
            f'<Plugin statsd>\n  Host "127.0.0.1"\n  Port "{self.port}"\n</Plugin>\n')
        self.cmd = ["collectd", "-f", "-C", conf]


class EtsyStatsd(Process):
    name = "etsy-statsd"

    def __init__(self, npm_dir, work):
        super().__init__(work)
        backend = self.write_config("null_backend.js",
                                    "exports.init = function (startup, config, events) { return true; };\n")
        conf = self.write_config("statsd.js", json.dumps({"port": self.port, "address": "127.0.0.1",
                                                          "backends": [backend], "flushInterval": 10000,
                                                          "mgmt_port": free_port()}))
        self.cmd = ["node", os.path.join(npm_dir, "node_modules", "statsd", "stats.js"), conf]


LOADS = {
    "statsd 1 line": ("statsd-counters", 1),
    "statsd 30 lines": ("statsd-counters", 30),
    "syslog 5424": ("syslog5424", 1),
}
IDLE_SECONDS = 5


def step(build, peer, fmt, lines, rate, seconds):
    count = int(rate * seconds) if rate else 1_000_000
    drops0, _ = socket_state(peer.port)
    kept0 = peer.kept()
    rejected0 = peer.rejected()
    cpu0 = proc_cpu_ns(peer.pid)
    out = subprocess.run([f"{build}/tools/ringest-loadgen", "-t", f"127.0.0.1:{peer.port}", "-n", str(count),
                          "-r", str(rate), "-f", fmt, "-l", str(lines)], check=True, capture_output=True,
                         text=True).stdout
    rep = json.loads(out)
    # Settle: the socket queue drained and the daemon's own count stopped moving.
    last = None
    for _ in range(60):
        time.sleep(0.5)
        drops, queued = socket_state(peer.port)
        kept = peer.kept()
        if queued == 0 and (kept, drops) == last:
            break
        last = (kept, drops)
    cpu = proc_cpu_ns(peer.pid) - cpu0
    sent = rep["sent"]
    lost = drops - drops0
    if kept is not None:
        # rsyslog keeps lines; ringestd counts datagrams.
        lost = max(lost, sent - (kept - kept0))
    got = max(sent - lost, 0)
    rejected = int(peer.rejected() - rejected0) if rejected0 is not None else None
    return {"offered": rate, "achieved": rep["rate"], "sent": sent, "lost": lost, "loss": lost / sent if sent else 0,
            "rejected": rejected,
            "cpu_ns_dgram": cpu / got if got else 0, "cpu_ns_line": cpu / got / lines if got else 0}


def idle(peer):
    """CPU ns per second of a daemon that has nothing to do."""
    time.sleep(1)
    cpu0, t0 = proc_cpu_ns(peer.pid), time.time()
    time.sleep(IDLE_SECONDS)
    return (proc_cpu_ns(peer.pid) - cpu0) / (time.time() - t0)


def make_peers(build, npm_dir, brubeck, fmt, work):
    peers = [Ringestd(build, "syslog" if fmt.startswith("syslog") else "statsd", os.path.join(work, "ringestd"))]
    if fmt.startswith("syslog"):
        peers.append(Rsyslog(os.path.join(work, "rsyslog")))
    else:
        if brubeck:
            peers.append(Brubeck(brubeck, os.path.join(work, "brubeck")))
        peers += [Collectd(os.path.join(work, "collectd")), EtsyStatsd(npm_dir, os.path.join(work, "statsd"))]
    return peers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--npm-dir", default="build/peers", help="where `npm install statsd` put node_modules")
    ap.add_argument("--brubeck-src", default="", help="brubeck's source tree (github/brubeck ebbd222), built "
                    "into build/peers/brubeck; without it brubeck is left out")
    ap.add_argument("--rates", default="20000,50000,100000,200000,0",
                    help="offered datagrams/s; 0 = loadgen flat out")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--chart", default="docs/img/peers-cpu.png")
    ap.add_argument("--json", default="", help="also write every step here")
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    brubeck = build_brubeck(args.brubeck_src, os.path.join(args.npm_dir, "brubeck")) if args.brubeck_src else ""
    results = {}
    idles = {}
    for load, (fmt, lines) in LOADS.items():
        work = tempfile.mkdtemp(prefix="ringest-peers-")
        for peer in make_peers(args.build, args.npm_dir, brubeck, fmt, work):
            try:
                peer.start()
            except Exception as e:  # a peer that cannot run here is reported, not fatal
                print(f"{load:16} {peer.name:12} could not start: {str(e).splitlines()[0]}", flush=True)
                results[(load, peer.name)] = None
                continue
            rows = []
            try:
                idles[(load, peer.name)] = idle(peer)
                print(f"{load:16} {peer.name:12} idle: {idles[(load, peer.name)] / 1e6:.2f} ms CPU per second",
                      flush=True)
                for rate in rates:
                    r = step(args.build, peer, fmt, lines, rate, args.seconds)
                    rows.append(r)
                    print(f"{load:16} {peer.name:12} offered {rate or 'max':>7} achieved {r['achieved']:>9,.0f}/s "
                          f"lost {r['lost']:>8} ({100 * r['loss']:.2f}%) cpu {r['cpu_ns_dgram']:>8,.0f} ns/datagram"
                          + (f" REJECTED {r['rejected']} lines" if r["rejected"] else ""), flush=True)
            finally:
                peer.stop()
            results[(load, peer.name)] = rows
        shutil.rmtree(work, ignore_errors=True)
    print_table(results, idles)
    for (load, name), rows in results.items():
        bad = sum(r["rejected"] or 0 for r in rows or [])
        if bad:
            print(f"warning: {name} rejected {bad} lines of '{load}': its CPU includes rejecting them, "
                  "and it did not parse the load the others did")
    chart(results, args.chart)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{k[0]}|{k[1]}": v for k, v in results.items()}, f, indent=1)


def print_table(results, idles):
    print()
    print("| load | daemon | idle: CPU ms per second | " + " | ".join(
        f"{r or 'max'}/s: CPU ns per datagram, per line, loss" for r in rates_of(results)) + " |")
    print("|---|---|---|" + "---|" * len(rates_of(results)))
    for (load, name), rows in results.items():
        if rows is None:
            continue
        cells = [f"{r['cpu_ns_dgram']:,.0f}, {r['cpu_ns_line']:,.0f}, {100 * r['loss']:.2f}%" for r in rows]
        print(f"| {load} | {name} | {idles.get((load, name), 0) / 1e6:.2f} | " + " | ".join(cells) + " |")
    print()
    print("| load | daemon | highest offered rate with loss < 0.1% (datagrams/s) | CPU ns per datagram there "
          "| CPU ns per line there | top rate offered (datagrams/s) | loss at top rate |")
    print("|---|---|---|---|---|---|---|")
    for (load, name), rows in results.items():
        if rows is None:
            print(f"| {load} | {name} | could not run | | | | |")
            continue
        ok = [r for r in rows if r["loss"] < LOSS_LIMIT]
        best = max(ok, key=lambda r: r["achieved"]) if ok else None
        top = max(rows, key=lambda r: r["achieved"])
        b = (f"{best['achieved']:,.0f} | {best['cpu_ns_dgram']:,.0f} | {best['cpu_ns_line']:,.0f}" if best
             else "none | | ")
        print(f"| {load} | {name} | {b} | {top['achieved']:,.0f} | {100 * top['loss']:.2f}% |")


def rates_of(results):
    for rows in results.values():
        if rows:
            return [r["offered"] for r in rows]
    return []


def chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no matplotlib: chart skipped (apt-get install python3-matplotlib)")
        return
    loads = list(LOADS)
    fig, axes = plt.subplots(1, len(loads), figsize=(5 * len(loads), 4))
    for ax, load in zip(axes, loads):
        for (l, name), rows in results.items():
            if l != load or not rows:
                continue
            pts = sorted((r["achieved"], r["cpu_ns_dgram"]) for r in rows if r["cpu_ns_dgram"] > 0)
            ax.plot([p[0] / 1000 for p in pts], [p[1] / 1000 for p in pts], marker="o", label=name)
        ax.set_title(load)
        ax.set_xlabel("offered rate, as the sender reached it (thousand datagrams/s)")
        ax.set_ylabel("daemon CPU per datagram (µs)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
