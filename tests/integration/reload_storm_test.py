"""Reload storms under sequence-tagged load: every reload changes one listener
on its own port (settings, socket count, receive buffer), moves another to a
new port, and adds or removes a third, while a fourth runs untouched. Senders
follow the configuration as an operator's would: a listener's sender stops
before the reload that moves or removes it, and starts again (at the new
port) once the reload is applied; the others send throughout.

Then, per listener and in total: sent == received + kernel drops, and
received == stored + drops after receive, exactly, from /metrics (retired
listeners' series included) and from the stop summary; and every sequence
number stored is stored once, under the listener it was sent to."""

import argparse
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from daemon_harness import Daemon, free_port, metric_sum

RELOADS = 18


class Senders:
    """One thread sends to every listener that has a target, round-robin, with
    its own sequence per listener. set() changes targets between rounds, so
    no datagram is in flight to a target once set() returns."""

    def __init__(self):
        self.lock = threading.Lock()
        self.targets = {}
        self.sent = {}
        self.done = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def set(self, name, port):
        with self.lock:
            if port is None:
                self.targets.pop(name, None)
            else:
                self.targets[name] = port

    def run(self):
        while not self.done:
            with self.lock:
                for name, port in self.targets.items():
                    for _ in range(8):
                        n = self.sent.get(name, 0)
                        self.sock.sendto(f"storm.{name}:1|c|#seq:{n}".encode(), ("127.0.0.1", port))
                        self.sent[name] = n + 1
            time.sleep(0.0005)


def write_config(d, listeners):
    lines = [f"[storage]\ndir = '{d.data}'\ndurability = \"interval\"", '[metrics]\nlisten = "127.0.0.1:0"',
             "[parser]\nthreads = 2"]
    for name, address, extra in listeners:
        lines.append(f'[[listener]]\nname = "{name}"\naddress = "{address}"\nformat = "statsd"\n{extra}')
    with open(d.config, "w") as f:
        f.write("\n".join(lines) + "\n")


def reload(d, applied_before):
    d.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 30
    while time.time() < deadline:
        if sum(1 for line in list(d.log) if "reload: applied" in line) > applied_before:
            return applied_before + 1
        failed = [line for line in list(d.log) if "reload: not applied" in line or "the running configuration is unchanged" in line]
        assert not failed, failed
        time.sleep(0.02)
    raise AssertionError("reload not applied:\n" + "\n".join(d.log[-20:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--dump", required=True)
    args = ap.parse_args()

    steady, changing = free_port(), free_port()
    mover_ports = [free_port(), free_port()]
    d = Daemon(args.ringestd)
    config = {
        "steady": (f"127.0.0.1:{steady}", ""),
        "changing": (f"127.0.0.1:{changing}", ""),
        "mover": (f"127.0.0.1:{mover_ports[0]}", ""),
    }
    write_config(d, [(n, a, e) for n, (a, e) in config.items()])
    d.start()
    tx = Senders()
    for name in config:
        tx.set(name, d.ports[name])
    tx.thread.start()

    applied = 0
    for i in range(RELOADS):
        time.sleep(0.3)
        # "changing": another setting each time, on its own port.
        config["changing"] = (f"127.0.0.1:{changing}",
                              f"max_datagram_bytes = {60000 + i}\nsockets = {1 + (i * 2) % 3}\n"
                              f"rcvbuf_bytes = {(4 + i % 2) << 20}\nkeep_raw = {'true' if i % 2 else 'false'}")
        pause = []
        if i % 3 == 0:  # "mover" moves to its other port
            config["mover"] = (f"127.0.0.1:{mover_ports[(i // 3 + 1) % 2]}", "")
            pause.append("mover")
        if i % 2 == 0 and "coming" not in config:  # "coming" arrives ...
            config["coming"] = ("127.0.0.1:0", "")
        elif i % 2 == 1 and "coming" in config:  # ... and goes
            del config["coming"]
            pause.append("coming")
        for name in pause:
            tx.set(name, None)
        write_config(d, [(n, a, e) for n, (a, e) in config.items()])
        applied = reload(d, applied)
        for name in config:
            if name in pause or name not in tx.targets:
                tx.set(name, d.ports[name])
        assert int(config["mover"][0].rsplit(":", 1)[1]) == d.ports["mover"]
        m = d.metrics()
        assert metric_sum(m, "ringest_config_last_reload_successful") == 1
    time.sleep(0.3)
    tx.done = True
    tx.thread.join()
    sent = dict(tx.sent)
    total = sum(sent.values())
    print(f"sent {sent} over {RELOADS} reloads")

    m = d.wait_quiet(total)
    for name, n in sent.items():
        received = metric_sum(m, "ringest_received_datagrams_total", listener=name)
        kernel = metric_sum(m, "ringest_dropped_datagrams_total", listener=name, stage="kernel")
        stored = metric_sum(m, "ringest_stored_datagrams_total", listener=name)
        dropped = metric_sum(m, "ringest_dropped_datagrams_total", listener=name) - kernel
        print(f"{name}: sent {n}, received {received:.0f}, kernel drops {kernel:.0f}, stored {stored:.0f}, "
              f"dropped after receive {dropped:.0f}")
        assert received + kernel == n, name
        assert received == stored + dropped, name
    assert d.stop() == 0
    summary = next(line for line in d.log if "stopped: received" in line)
    got = re.search(r"received (\d+), stored (\d+), dropped (\d+) after receive, (\d+) in the kernel", summary)
    assert got, summary
    received, stored, dropped, kernel = map(int, got.groups())
    assert received + kernel == total and received == stored + dropped, summary

    # Each sequence number stored once, under the listener it was sent to.
    out = subprocess.run([args.dump, "print", "--origin", d.data], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        name = r["measurement"].split(".", 1)[1]
        assert r["listener_name"] == name, r
        key = (name, int(dict(r["tags"])["seq"]))
        assert key not in seen, f"stored twice: {key}"
        seen[key] = True
    for name, n in sent.items():
        stored_seqs = sum(1 for (l, _) in seen if l == name)
        assert stored_seqs == metric_sum(m, "ringest_stored_datagrams_total", listener=name), name
    print(f"reload storm: {total} datagrams, every one stored once or counted dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
