"""Disk full on a real file system: ringestd's data directory on a small tmpfs.
While the disk is full, ingestion goes on and every datagram that can't be
stored is counted under reason="disk_full" (sent == stored + dropped); the
daemon says so once in its log (not once per batch), /-/ready answers 503 with
the reason and ringest_log_write_failing is 1. Once space returns, appends
resume within a second, without a restart, the log says so and /-/ready is 200
again. The stop exits 75 (stopped, but the log dropped datagrams) with the
count in its summary; the log verifies clean (no partial batch was left behind).

Needs root (mount); exits 77 (skipped) without it."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from daemon_harness import Daemon, metric_sum, scratch_dir

SKIP = 77


def stored(d):
    return metric_sum(d.metrics(), "ringest_stored_datagrams_total")


def ready(d):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{d.metrics_port}/-/ready", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def log_lines(d, text):
    return [line for line in list(d.log) if text in line]


def main():
    ap_args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    ringestd, loadgen, dump = ap_args["--ringestd"], ap_args["--loadgen"], ap_args["--dump"]
    work = scratch_dir("ringest-full-")
    data = os.path.join(work, "data")
    os.makedirs(data)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", data]).returncode:
        print("disk full: skipped (needs root to mount a small tmpfs)")
        return SKIP
    d = None
    try:
        # Two listeners, loaded at once: the ledger holds for each of them
        # (received == stored + every drop), sink drops included.
        d = Daemon(ringestd, workdir=work, parser_threads=1,
                   listeners=[("a", "127.0.0.1:0", "statsd"), ("b", "127.0.0.1:0", "statsd")]).start()
        port = d.ports["a"]
        # Fill the file system, leaving a little room.
        filler = os.path.join(data, "filler")
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\1" * 4096)
            except OSError:
                pass
        gens = [subprocess.Popen([loadgen, "--target", f"127.0.0.1:{d.ports[name]}", "--count", "25000",
                                  "--rate", "25000", "--lines", "4"], stdout=subprocess.DEVNULL)
                for name in ("a", "b")]
        for g in gens:
            assert g.wait(60) == 0
        m = d.wait_quiet(50000)
        full = metric_sum(m, "ringest_dropped_datagrams_total", reason="disk_full")
        other = metric_sum(m, "ringest_dropped_datagrams_total") - full
        assert full > 0, "nothing was counted as disk_full on a full file system"
        assert metric_sum(m, "ringest_stored_datagrams_total") + full + other == 50000, "sent != stored + dropped"
        for name in ("a", "b"):
            received = metric_sum(m, "ringest_received_datagrams_total", listener=name)
            kernel = metric_sum(m, "ringest_dropped_datagrams_total", listener=name, stage="kernel")
            stored_l = metric_sum(m, "ringest_stored_datagrams_total", listener=name)
            after = metric_sum(m, "ringest_dropped_datagrams_total", listener=name) - kernel
            sink = metric_sum(m, "ringest_dropped_datagrams_total", listener=name, stage="sink")
            assert received + kernel == 25000, (name, received, kernel)
            assert received == stored_l + after, f"listener {name}: received {received} != stored {stored_l} + dropped {after}"
            assert sink > 0, f"listener {name}: no sink drops counted for it on a full disk"
        assert metric_sum(m, "ringest_dropped_datagrams_total", listener="") == 0
        assert metric_sum(m, "ringest_log_write_failing") == 1, "the failing gauge is not 1 while the disk is full"
        status, body = ready(d)
        assert status == 503 and "partition 0: disk full" in body, f"/-/ready while full: {status} {body!r}"
        failing = log_lines(d, "writes are failing (disk full")
        assert len(failing) == 1, f"want one 'writes are failing' line, got {failing}"

        # Space comes back while datagrams keep coming: appends resume within a second.
        gen = subprocess.Popen([loadgen, "--target", f"127.0.0.1:{port}", "--count", "100000", "--rate", "20000",
                                "--seq-start", "1000000"], stdout=subprocess.DEVNULL)
        time.sleep(1.0)
        before = stored(d)
        os.remove(filler)
        freed = time.time()
        resumed = None
        while time.time() - freed < 3:
            if stored(d) > before + 100:
                resumed = time.time() - freed
                break
            time.sleep(0.05)
        gen.wait(30)
        assert resumed is not None and resumed < 1.0, f"appends resumed after {resumed} s"
        again = log_lines(d, "writing again;")
        assert len(again) == 1, f"want one 'writing again' line, got {again}"
        status, body = ready(d)
        assert status == 200, f"/-/ready after space returned: {status} {body!r}"
        assert metric_sum(d.metrics(), "ringest_log_write_failing") == 0
        dropped = int(metric_sum(d.metrics(), "ringest_dropped_datagrams_total", stage="sink"))
        rc = d.stop()
        assert rc == 75, f"exit {rc} after the log dropped datagrams (want 75)"
        summary = log_lines(d, "stopped:")
        assert summary and f"{dropped} datagram(s) were dropped by the log" in summary[-1], summary
        d = None
        v = subprocess.run([dump, "verify", data], capture_output=True, text=True)
        assert v.returncode == 0, f"verify: {v.stdout} {v.stderr}"
        print(f"disk full: {int(full)} datagrams counted disk_full; resumed {resumed:.2f} s after space returned: ok")
        return 0
    finally:
        if d is not None and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        subprocess.run(["umount", data])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print(f"disk full: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
