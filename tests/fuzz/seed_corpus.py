"""Writes libFuzzer seed corpora from the conformance vectors: one file per
row input, into OUT/<target>/; for the record codec (`records`), one file per
uncompressed batch of the committed segments: a byte saying the batch's
format (the version minus 1, as record_fuzz.cc reads it), then its payload.
Usage: seed_corpus.py VECTORS_DIR OUT_DIR"""

import base64
import hashlib
import json
import os
import struct
import sys

SOURCES = {
    "statsd": ["statsd"],
    "influx": ["influx-line-protocol"],
    "graphite": ["graphite"],
    "rfc5424": ["syslog"],
    "rfc3164": ["syslog"],
    "lines": ["statsd", "graphite", "influx-line-protocol"],
    "stream": ["graphite", "syslog", "influx-line-protocol"],
}


def inputs(folder):
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(folder, name)) as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                if row.get("input_b64"):
                    yield base64.b64decode(row["input_b64"])
                elif row.get("input") is not None:
                    yield row["input"].encode()


SEGMENT_HEADER, BATCH_HEADER = 64, 48


def batch_payloads(vectors):
    """(format byte + payload) of every uncompressed batch under segment-v*/."""
    for root, _, files in os.walk(vectors):
        if "segment-v" not in root:
            continue
        for name in sorted(files):
            if not name.endswith(".seg"):
                continue
            data = open(os.path.join(root, name), "rb").read()
            at = SEGMENT_HEADER
            while at + BATCH_HEADER <= len(data):
                length = struct.unpack_from("<I", data, at)[0]
                version, flags = data[at + 8], data[at + 9]
                if length < BATCH_HEADER or at + length > len(data):
                    break
                if flags & 7 == 0:
                    yield bytes([version - 1]) + data[at + BATCH_HEADER:at + length]
                at += length


def write_seed(d, data):
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    vectors, out = sys.argv[1], sys.argv[2]
    for target, folders in SOURCES.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for folder in folders:
            for data in inputs(os.path.join(vectors, folder)):
                write_seed(d, data)
        print(f"{target}: {len(os.listdir(d))} seeds")
    d = os.path.join(out, "records")
    os.makedirs(d, exist_ok=True)
    for data in batch_payloads(vectors):
        write_seed(d, data)
    print(f"records: {len(os.listdir(d))} seeds")


if __name__ == "__main__":
    main()
