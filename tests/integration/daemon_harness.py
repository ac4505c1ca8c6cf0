"""Runs ringestd for integration tests: a temporary config on loopback with
ephemeral ports, readiness and ports read from its log, /metrics scraping.

Scratch directories are removed when the test process exits; set
RINGEST_KEEP_TEST_DATA=1 to keep them for a look after a failure."""

import atexit
import os
import shutil
import stat
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

READY_TIMEOUT_S = 20
KEEP_TEST_DATA = os.environ.get("RINGEST_KEEP_TEST_DATA") == "1"


def remove_tree(path):
    """Removes a directory tree, best effort. Sealed segments are read-only,
    which Windows will not delete until they are made writable."""
    def make_writable(func, p, _exc):
        try:
            os.chmod(p, stat.S_IWRITE | stat.S_IREAD)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=make_writable)


def free_port(kind=socket.SOCK_DGRAM):
    """A loopback port nothing holds now (UDP by default, or SOCK_STREAM)."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scratch_dir(prefix):
    """A new temporary directory, removed when this process exits."""
    path = tempfile.mkdtemp(prefix=prefix)
    if not KEEP_TEST_DATA:
        atexit.register(remove_tree, path)
    return path


def parse_metrics(text):
    """Prometheus text → {(name, frozenset(labels)): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def brief_stacks(gdb_output):
    """gdb's `thread apply all bt`, shortened to what says where each thread
    is: its name, its innermost frame and its frames in ringest's own code
    (a CI log keeps only so much of a failing test's output)."""
    out, frames = [], []

    def flush():
        if frames:
            own = [f for f in frames[1:] if "ringest::" in f or "main (" in f]
            out.extend("  " + f[:200] for f in [frames[0]] + own[:8])
        frames.clear()

    for line in gdb_output.splitlines():
        if line.startswith("Thread "):
            flush()
            out.append(line)
        elif line.startswith("#"):
            frames.append(line)
    flush()
    return "\n".join(out)


def metric_sum(metrics, name, **match):
    total = 0.0
    for (n, labels), v in metrics.items():
        if n != name:
            continue
        d = dict(labels)
        if all(d.get(k) == v2 for k, v2 in match.items()):
            total += v
    return total


def wait_log(d, pattern, timeout_s=20):
    """The first line of `d`'s log matching `pattern`, waited for."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for line in list(d.log):
            if re.search(pattern, line):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no log line matching {pattern!r}:\n" + "\n".join(d.log[-20:]))


class Daemon:
    def __init__(self, ringestd, workdir=None, listeners=None, extra="", parser_threads=2,
                 durability="interval", launcher=(), listener_extra="", storage_extra="",
                 metrics_listen="127.0.0.1:0"):
        self.ringestd = ringestd
        self.launcher = list(launcher)  # e.g. [wine64] for ringestd.exe
        self.dir = workdir or scratch_dir("ringest-it-")
        self.data = os.path.join(self.dir, "data")
        listeners = listeners or [("statsd", "127.0.0.1:0", "statsd")]
        cfg = [
            "[storage]",
            f"dir = '{self.data}'",  # a literal string: Windows paths hold backslashes
            f'durability = "{durability}"',
            storage_extra,
            "[metrics]",
            f'listen = "{metrics_listen}"',
            "[parser]",
            f"threads = {parser_threads}",
            extra,
        ]
        for name, address, fmt in listeners:
            cfg += ["[[listener]]", f'name = "{name}"', f'address = "{address}"', f'format = "{fmt}"',
                    listener_extra]
        self.config = os.path.join(self.dir, "ringest.toml")
        with open(self.config, "w") as f:
            f.write("\n".join(cfg) + "\n")
        self.ports = {}
        self.metrics_port = None
        self.log = []
        self.proc = None
        self.start_args = []

    def start(self):
        self.proc = subprocess.Popen(self.launcher + [self.ringestd, "--config", self.config] + self.start_args, stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, text=True)
        ready = threading.Event()

        def reader():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                m = re.search(r"listener '([^']+)': .* port (\d+)", line)
                if m:
                    self.ports[m.group(1)] = int(m.group(2))
                m = re.search(r"metrics on http://(?:\[[^]]+\]|[^:]+):(\d+)/metrics", line)
                if m:
                    self.metrics_port = int(m.group(1))
                if line.rstrip().endswith(" ready") or '"msg":"ready"' in line:
                    self.ready_seen = True
                    ready.set()
            ready.set()  # the daemon closed its log: it is exiting

        self.ready_seen = False
        threading.Thread(target=reader, daemon=True).start()
        if not ready.wait(READY_TIMEOUT_S) or not self.ready_seen or self.proc.poll() is not None:
            raise RuntimeError("ringestd did not become ready:\n" + "\n".join(self.log))
        return self

    def metrics(self, host="127.0.0.1"):
        try:
            with urllib.request.urlopen(f"http://{host}:{self.metrics_port}/metrics", timeout=10) as r:
                return parse_metrics(r.read().decode())
        except OSError as e:
            state = "exited with " + str(self.proc.poll()) if self.proc.poll() is not None else "running"
            raise RuntimeError(f"/metrics: {e}; ringestd {state}; its log:\n" + "\n".join(self.log[-30:]))

    def wait_quiet(self, expect_received, timeout_s=60, allow_unseen=False):
        """Waits until the daemon has taken in (or the kernel dropped) `expect_received`
        datagrams and its queue and open batches have settled. With allow_unseen
        (an engine that cannot count kernel drops: Windows) settling is enough."""
        deadline = time.time() + timeout_s
        last = None
        while time.time() < deadline:
            m = self.metrics()
            seen = metric_sum(m, "ringest_received_datagrams_total") + \
                metric_sum(m, "ringest_dropped_datagrams_total", stage="kernel")
            state = (seen, metric_sum(m, "ringest_stored_datagrams_total"))
            if (seen >= expect_received or allow_unseen) and state == last and \
                    metric_sum(m, "ringest_queue_depth") == 0:
                return m
            last = state
            time.sleep(0.5)
        raise RuntimeError(f"daemon did not settle: {last}")

    def reload_with(self, old, new):
        """Edits the configuration (`old` text becomes `new`), sends SIGHUP and
        waits until the daemon says the reload was applied."""
        with open(self.config) as f:
            config = f.read()
        assert old in config, old
        with open(self.config, "w") as f:
            f.write(config.replace(old, new))
        self.proc.send_signal(signal.SIGHUP)
        wait_log(self, r"reload: applied")

    def stop(self, sig=signal.SIGTERM, timeout_s=60):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            # Still a failure; first say where the daemon is stuck.
            print(f"ringestd did not stop within {timeout_s} s; its log:\n" + "\n".join(self.log[-40:]), flush=True)
            if shutil.which("gdb"):
                stacks = subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex", "thread apply all bt 30"],
                                        capture_output=True, text=True, timeout=60).stdout
                print("its threads:\n" + brief_stacks(stacks), flush=True)
            self.proc.kill()
            raise
