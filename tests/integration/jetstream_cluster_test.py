"""The JetStream output against a three-node nats-server cluster and an R3
stream, on loopback, while it is attacked:

1. kill -9 ringestd mid-stream again and again (20 times) and restart it;
2. under steady load, kill -9 the stream's leader (a new one is elected; the
   old one comes back);
3. SIGSTOP one server, the stream's leader then, for 30 s, then SIGCONT;
4. stop the whole cluster for 60 s while ingesting, then start it again.

Then every record of the local log is in the stream exactly once (by
partition, offset and sequence number, every batch's checksum verified), lag
is back to 0, and what the server reported as duplicates was counted, never
stored twice. Sanitizer builds run shorter outages (--stop-seconds,
--down-seconds) and fewer kills.
"""

import argparse
import random
import signal
import sys
import time

from daemon_harness import Daemon, metric_sum
from jetstream_test import local_records, output_toml, send, stream_batch_records, wait_forwarded
from nats_harness import NatsCluster, add_binary_args


def restart(d):
    d.ports = {}
    d.metrics_port = None
    d.start()
    assert "statsd" in d.ports, "\n".join(d.log[-20:])


def main():
    ap = argparse.ArgumentParser()
    add_binary_args(ap)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--stop-seconds", type=float, default=30)
    ap.add_argument("--down-seconds", type=float, default=60)
    ap.add_argument("--rate", type=int, default=10000, help="datagrams/s while the cluster is attacked")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    cluster = NatsCluster(args.nats_server).start()
    d = Daemon(args.ringestd, extra=output_toml("js", cluster.urls, "RC", "rc",
                                                extra="replicas = 3\nack_timeout_ms = 2000"))
    rng = random.Random(args.seed)
    t0 = time.time()
    for rnd in range(args.kills):
        restart(d)
        gen = send(args, d.ports["statsd"], 1_000_000, args.rate * 4, seq_start=rnd * 1_000_000, wait=False)
        time.sleep(rng.uniform(0.3, 1.2))
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(30)
        gen.kill()
        gen.wait(30)
    print(f"kill -9 ringestd x{args.kills} ({time.time() - t0:.0f} s)")

    d.log.clear()
    restart(d)
    seconds = 3 + 8 + args.stop_seconds + 3 + args.down_seconds + 10
    gen = send(args, d.ports["statsd"], int(args.rate * seconds), args.rate, seq_start=100_000_000, wait=False)
    time.sleep(3)

    leader = cluster.stream_leader("RC")
    leader.kill()
    time.sleep(8)
    successor = cluster.stream_leader("RC")
    assert successor is not leader
    leader.start()
    print(f"kill -9 the stream leader {leader.name}: {successor.name} took over; {leader.name} back")

    stopped = cluster.stream_leader("RC")
    stopped.proc.send_signal(signal.SIGSTOP)
    time.sleep(args.stop_seconds)
    stopped.proc.send_signal(signal.SIGCONT)
    print(f"SIGSTOP {stopped.name} (the stream leader) for {args.stop_seconds:.0f} s")

    time.sleep(3)
    cluster.stop()
    time.sleep(args.down_seconds)
    m = d.metrics()
    assert metric_sum(m, "ringest_output_connected") == 0
    assert metric_sum(m, "ringest_output_lag_records") > 0
    cluster.start()
    print(f"the whole cluster down for {args.down_seconds:.0f} s, then up")
    assert gen.wait(seconds + 120) == 0

    m = wait_forwarded(d, ["js"], timeout_s=300)
    assert metric_sum(m, "ringest_output_lag_records") == 0
    assert metric_sum(m, "ringest_output_lag_seconds") == 0
    local = local_records(args, d.data)
    summary, forwarded = stream_batch_records(args, cluster.urls[0], "RC", "rc")
    assert sorted(local) == sorted(forwarded), (sorted(local), sorted(forwarded))
    for p in local:
        assert sorted(forwarded[p]) == local[p], \
            f"partition {p}: {len(forwarded[p])} forwarded, {len(local[p])} stored"
        seqs = [s for _, s in forwarded[p]]
        assert len(seqs) == len(set(seqs)), f"partition {p}: a sequence number twice"
    for sub in summary["subjects"].values():
        assert sub["gaps"] == 0 and sub["duplicates"] == 0, sub
    stored = sum(len(r) for r in local.values())
    dups = metric_sum(m, "ringest_output_duplicates_total")
    gaps = metric_sum(m, "ringest_output_gap_records_total")
    assert d.stop() == 0
    cluster.stop()
    print(f"R3 cluster: {stored} records in the stream once each, lag 0; {int(dups)} duplicate(s) the server "
          f"dropped, {int(gaps)} record(s) found missing and sent again in the last run "
          f"({time.time() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
