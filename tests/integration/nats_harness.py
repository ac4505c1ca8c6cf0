"""Runs nats-server with JetStream for the output tests: a free loopback port,
its store in scratch space, optional auth and max_payload; stopped (or
killed) by the test, and killed at exit whatever happens."""

import atexit
import os
import socket
import subprocess
import time

from daemon_harness import scratch_dir


def free_tcp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NatsServer:
    def __init__(self, exe, port=None, user=None, password=None, max_payload=None):
        self.exe = exe
        self.port = port or free_tcp_port()
        self.dir = scratch_dir("ringest-nats-")
        conf = [f"listen: 127.0.0.1:{self.port}", f'jetstream {{ store_dir: "{self.dir}/js" }}']
        if max_payload:
            conf.append(f"max_payload: {max_payload}")
        if user:
            conf.append(f'authorization {{ user: "{user}", password: "{password}" }}')
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
            self.proc.terminate()
            self.proc.wait(30)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
