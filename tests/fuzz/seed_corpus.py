"""Writes libFuzzer seed corpora from the conformance vectors: one file per
row input, into OUT/<target>/. Usage: seed_corpus.py VECTORS_DIR OUT_DIR"""

import base64
import hashlib
import json
import os
import sys

SOURCES = {
    "statsd": ["statsd"],
    "influx": ["influx-line-protocol"],
    "graphite": ["graphite"],
    "rfc5424": ["syslog"],
    "rfc3164": ["syslog"],
    "lines": ["statsd", "graphite", "influx-line-protocol"],
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


def main():
    vectors, out = sys.argv[1], sys.argv[2]
    for target, folders in SOURCES.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for folder in folders:
            for data in inputs(os.path.join(vectors, folder)):
                name = hashlib.sha1(data).hexdigest()
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
        print(f"{target}: {len(os.listdir(d))} seeds")


if __name__ == "__main__":
    main()
