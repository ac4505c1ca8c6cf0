"""Runs nats-server with JetStream for the output tests: a free loopback port,
its store in scratch space, optional auth and max_payload; stopped (or
killed) by the test, and killed at exit whatever happens."""

import atexit
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from daemon_harness import free_port, scratch_dir


def free_tcp_port():
    return free_port(socket.SOCK_STREAM)


def add_binary_args(ap):
    """The binaries a forwarding test drives, as CMake passes them."""
    ap.add_argument("--ringestd", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--nats-server", required=True)


class NatsServer:
    def __init__(self, exe, port=None, user=None, password=None, max_payload=None, name=None, cluster=None,
                 tls=None):
        self.exe = exe
        self.port = port or free_tcp_port()
        self.dir = scratch_dir("ringest-nats-")
        conf = [f"listen: 127.0.0.1:{self.port}", f'jetstream {{ store_dir: "{self.dir}/js" }}']
        if name:
            conf.append(f"server_name: {name}")
        if cluster:  # (its own route port, every route port)
            own, routes = cluster
            conf.append(f"cluster {{ name: ringest-test, listen: 127.0.0.1:{own}, routes: [" +
                        ", ".join(f"nats-route://127.0.0.1:{r}" for r in routes) + "] }")
            self.http_port = free_tcp_port()
            conf.append(f"http: 127.0.0.1:{self.http_port}")
        if max_payload:
            conf.append(f"max_payload: {max_payload}")
        if tls:  # a TestCA's server files: clients must present a certificate it signed
            conf.append(f'tls {{ cert_file: "{tls.server_cert}", key_file: "{tls.server_key}", '
                        f'ca_file: "{tls.ca}", verify: true, timeout: 2 }}')
        if user:
            conf.append(f'authorization {{ user: "{user}", password: "{password}" }}')
        self.name = name
        self.conf = os.path.join(self.dir, "nats.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.proc = None
        self.url = f"nats://127.0.0.1:{self.port}"
        atexit.register(self.kill)

    def start(self):
        self.log = open(os.path.join(self.dir, "nats.log"), "a")
        self.proc = subprocess.Popen([self.exe, "-c", self.conf], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start:\n" + open(os.path.join(self.dir, "nats.log")).read()[-2000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(30)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(30)

    def jsz(self):
        """The server's JetStream report, streams included (cluster servers only)."""
        url = f"http://127.0.0.1:{self.http_port}/jsz?accounts=true&streams=true"
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)


class TestCA:
    """A certificate authority made with openssl for one test: a server
    certificate for 127.0.0.1 and a client certificate, both signed by it."""

    def __init__(self, name="ringest test CA"):
        d = scratch_dir("ringest-ca-")
        self.ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                      "-keyout", ca_key, "-out", self.ca)
        self.server_cert, self.server_key = self._leaf(d, "server", ca_key,
                                                       "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:127.0.0.1")
        self.client_cert, self.client_key = self._leaf(d, "client", ca_key, "extendedKeyUsage=clientAuth")

    def _leaf(self, d, name, ca_key, ext):
        key, csr, cert = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "pem"))
        extfile = os.path.join(d, f"{name}.ext")
        with open(extfile, "w") as f:
            f.write(ext + "\n")
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=ringest {name}", "-keyout", key,
                      "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
                      "-extfile", extfile, "-out", cert)
        return cert, key

    @staticmethod
    def _openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)


class NatsCluster:
    """Three (or more) JetStream servers routed to each other on loopback."""

    def __init__(self, exe, size=3):
        routes = [free_tcp_port() for _ in range(size)]
        self.servers = [NatsServer(exe, name=f"s{i + 1}", cluster=(routes[i], routes)) for i in range(size)]
        self.urls = [s.url for s in self.servers]

    def start(self):
        for s in self.servers:
            s.start()
        self.wait_meta_leader()
        return self

    def up(self):
        return [s for s in self.servers if s.proc and s.proc.poll() is None]

    def wait_meta_leader(self, timeout_s=60):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            try:
                if all(s.jsz().get("meta_cluster", {}).get("leader") for s in self.up()):
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError("the cluster elected no JetStream meta leader")

    def stream_leader(self, stream, timeout_s=60):
        """The server leading `stream` now, once one leads it. A server that is
        down is not the leader, whatever the others still say (until they have
        elected another, they name the one they last heard from)."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            up = self.up()
            for s in up:
                try:
                    for acc in s.jsz().get("account_details", []):
                        for st in acc.get("stream_detail", []):
                            leader = st["name"] == stream and st.get("cluster", {}).get("leader")
                            if leader and any(x.name == leader for x in up):
                                return next(x for x in up if x.name == leader)
                except (OSError, ValueError, StopIteration):
                    pass
            time.sleep(0.25)
        raise RuntimeError(f"no server leads stream {stream}")

    def stop(self):
        for s in self.servers:
            s.stop()

    def kill(self):
        for s in self.servers:
            s.kill()


class DroppingProxy:
    """A TCP proxy in front of a NATS server that passes everything through
    except the publishes to `subject` whose number (1, 2, ...) is in `drop`:
    those vanish as if lost on the way, so their acks never come while later
    publishes are stored."""

    def __init__(self, upstream_port, subject, drop):
        self.upstream_port = upstream_port
        self.subject = subject.encode()
        self.drop = set(drop)
        self.seen = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.url = f"nats://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._copy, args=(upstream, client), daemon=True).start()
            threading.Thread(target=self._filter, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _close_both(src, dst):
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _copy(src, dst):
        try:
            while (data := src.recv(65536)):
                dst.sendall(data)
        except OSError:
            pass
        DroppingProxy._close_both(src, dst)

    def _keep(self, line):
        parts = line.split()
        if len(parts) < 2 or parts[1] != self.subject:
            return True
        with self.lock:
            self.seen += 1
            if self.seen in self.drop:
                self.dropped += 1
                return False
        return True

    def _filter(self, src, dst):
        buf = b""
        try:
            while (data := src.recv(65536)):
                buf += data
                out = bytearray()
                while (i := buf.find(b"\r\n")) >= 0:
                    line = buf[:i]
                    op = line.split(b" ", 1)[0].upper()
                    if op in (b"PUB", b"HPUB"):
                        end = i + 2 + int(line.split()[-1]) + 2
                        if len(buf) < end:
                            break
                        if self._keep(line):
                            out += buf[:end]
                        buf = buf[end:]
                    else:
                        out += buf[:i + 2]
                        buf = buf[i + 2:]
                dst.sendall(out)
        except OSError:
            pass
        self._close_both(src, dst)
