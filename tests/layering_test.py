"""The layering the tree promises, checked on every include: parsers know
nothing of storage or sockets, tools reach the engines' platform code through
no private header, and the portable engine code names no platform backend.
Usage: layering_test.py SOURCE_DIR"""
import os
import re
import sys

ROOT = sys.argv[1]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# (folder, forbidden include prefixes, why)
RULES = [
    ("daemon/formats", ("sinks/", "rio/", "daemon/linux/", "daemon/windows/"),
     "a parser emits points (common/point.h) and knows nothing of the log or the engines"),
    ("tools", ("rio/linux/", "rio/windows/", "sinks/linux/", "sinks/windows/"),
     "tools use the portable interfaces (common/socket_address.h, sinks/), never a backend's header"),
    ("common", ("rio/", "sinks/", "daemon/", "tools/"), "common/ depends on nothing of the project's"),
    ("sinks", ("daemon/", "rio/", "tools/", "outputs/"),
     "the log knows nothing of the daemon, the engines, the tools or the outputs that read it"),
    ("rio", ("outputs/", "sinks/", "daemon/"), "the engines know nothing of what is done with a datagram"),
    ("outputs", ("rio/", "daemon/formats/", "daemon/pipeline", "daemon/shard", "daemon/receiver"),
     "an output reads the log (sinks/) and its settings, never the receive path"),
]

failures = []
checked = 0
for folder, forbidden, why in RULES:
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in files:
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)
            with open(path, encoding="utf-8") as f:
                for inc in INCLUDE.findall(f.read()):
                    checked += 1
                    if inc.startswith(forbidden):
                        failures.append(f"{rel} includes {inc}: {why}")
for line in failures:
    print("FAIL " + line)
print(f"layering: {checked} includes checked, {len(failures)} violations")
assert checked > 100, "too few includes found: wrong source directory?"
sys.exit(1 if failures else 0)
