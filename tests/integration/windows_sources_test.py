"""cmake/windows_cross.sh fetches the C libraries' Debian source packages on a
fresh machine even when the installed version's source is not served (a
security update's, often): it then takes the newest served revision of the
same upstream release, says so, and caches what it fetched.

Runs the script's `sources` step against stand-ins for dpkg-query, apt-get and
apt-cache (an archive on paper), so nothing leaves the machine.
Usage: windows_sources_test.py"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "cmake", "windows_cross.sh")

# -dev package -> (source package, installed source version)
INSTALLED = {
    "libzstd-dev": ("libzstd", "1.5.4+dfsg2-5+deb12u1"),
    "liblz4-dev": ("lz4", "1.9.4-1"),
    "prometheus-cpp-dev": ("prometheus-cpp", "1.0.1-1"),
}

FAKE = r'''#!/usr/bin/env python3
import os, sys
state = os.environ["FAKE_ARCHIVE"]
name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
with open(os.path.join(state, "calls"), "a") as f:
    f.write(name + " " + " ".join(args) + "\n")
installed = dict(l.split(None, 1) for l in open(os.path.join(state, "installed")))
served = {}
for line in open(os.path.join(state, "served")):
    src, ver = line.split()
    served.setdefault(src, []).append(ver)
if name == "dpkg-query":
    fmt, pkg = args[1], args[2]
    src, ver = installed[pkg].split()
    print(src if "Package" in fmt else ver, end="")
elif name == "apt-cache":
    src = args[-1]
    for ver in served.get(src, []):
        print("Package: " + src)
        print("Version: " + ver)
        print()
elif name == "apt-get":
    if args[0] == "update":
        sys.exit(0)
    src, ver = args[-1].split("=", 1)
    if ver not in served.get(src, []):
        print("E: Failed to fetch " + src + "_" + ver + ".dsc  404  Not Found", file=sys.stderr)
        sys.exit(100)
    d = src + "-" + ver.split("-")[0]
    os.makedirs(d)
    with open(os.path.join(d, "VERSION"), "w") as f:
        f.write(ver)
'''


class Archive:
    def __init__(self, served):
        self.dir = tempfile.mkdtemp(prefix="ringest-sources-")
        self.bin = os.path.join(self.dir, "bin")
        self.etc = os.path.join(self.dir, "etc-apt")
        self.cache = os.path.join(self.dir, "cache")
        os.makedirs(self.bin)
        os.makedirs(os.path.join(self.etc, "sources.list.d"))
        with open(os.path.join(self.etc, "sources.list.d", "debian.sources"), "w") as f:
            f.write("Types: deb\nURIs: http://archive.invalid/debian\nSuites: bookworm\nComponents: main\n")
        for tool in ("dpkg-query", "apt-get", "apt-cache"):
            path = os.path.join(self.bin, tool)
            with open(path, "w") as f:
                f.write(FAKE)
            os.chmod(path, 0o755)
        with open(os.path.join(self.dir, "installed"), "w") as f:
            for dev, (src, ver) in INSTALLED.items():
                f.write(f"{dev} {src} {ver}\n")
        self.serve(served)

    def serve(self, served):
        with open(os.path.join(self.dir, "served"), "w") as f:
            for src, ver in served:
                f.write(f"{src} {ver}\n")

    def run(self):
        open(os.path.join(self.dir, "calls"), "w").close()
        env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"], FAKE_ARCHIVE=self.dir,
                   RINGEST_CACHE=self.cache, RINGEST_APT_ETC=self.etc)
        p = subprocess.run(["bash", SCRIPT, "sources"], env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        with open(os.path.join(self.dir, "calls")) as f:
            calls = f.read().splitlines()
        return p, calls

    def fetched(self, src, ver):
        path = os.path.join(self.cache, "src", f"{src}-{ver}", "VERSION")
        return open(path).read() if os.path.exists(path) else None

    def record(self, src, installed):
        path = os.path.join(self.cache, "src", f"{src}-{installed}.fetched")
        return open(path).read().strip() if os.path.exists(path) else None

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def others_served():
    return [("lz4", "1.9.4-1"), ("prometheus-cpp", "1.0.1-1"), ]


def test_security_update_not_served():
    # The installed zstd is a security update the archive no longer serves;
    # two older revisions of the same upstream release and a newer upstream are.
    a = Archive(others_served() + [("libzstd", "1.5.4+dfsg2-4"), ("libzstd", "1.5.4+dfsg2-5"),
                                   ("libzstd", "1.5.5+dfsg2-1")])
    try:
        p, calls = a.run()
        check(p.returncode == 0, f"fetch succeeds without the installed version's source (rc {p.returncode}: {p.stderr[-400:]})")
        check(a.fetched("libzstd", "1.5.4+dfsg2-5") == "1.5.4+dfsg2-5",
              "the newest served revision of the same upstream release is fetched")
        check(a.fetched("libzstd", "1.5.5+dfsg2-1") is None and a.fetched("libzstd", "1.5.4+dfsg2-4") is None,
              "neither another upstream release nor an older revision is fetched")
        check(a.record("libzstd", "1.5.4+dfsg2-5+deb12u1") == "1.5.4+dfsg2-5", "the cache records what stands in")
        check("1.5.4+dfsg2-5+deb12u1's source is not served" in p.stderr and "libzstd 1.5.4+dfsg2-5" in p.stderr,
              "the build log says which version was taken and why")
        check(a.fetched("lz4", "1.9.4-1") == "1.9.4-1", "a served installed version is fetched as it is")
        check(os.path.exists(os.path.join(a.etc, "sources.list.d", "ringest-deb-src.sources")),
              "deb-src entries mirror the machine's deb entries")
        p, calls = a.run()
        check(p.returncode == 0 and not [c for c in calls if c.startswith("apt-")],
              f"a second run is served from the cache without asking the archive ({calls})")
    finally:
        a.close()


def test_nothing_served():
    a = Archive(others_served() + [("libzstd", "1.5.5+dfsg2-1")])
    try:
        p, _ = a.run()
        check(p.returncode != 0, "no served revision of the upstream release fails the step")
        check("no source package of libzstd 1.5.4+dfsg2-5+deb12u1" in p.stderr,
              "and says which package it could not fetch")
        check(a.record("libzstd", "1.5.4+dfsg2-5+deb12u1") is None, "and records nothing")
    finally:
        a.close()


def test_installed_served_preferred():
    a = Archive(others_served() + [("libzstd", "1.5.4+dfsg2-5"), ("libzstd", "1.5.4+dfsg2-5+deb12u1")])
    try:
        p, _ = a.run()
        check(p.returncode == 0, "fetch succeeds")
        check(a.record("libzstd", "1.5.4+dfsg2-5+deb12u1") == "1.5.4+dfsg2-5+deb12u1",
              "the installed version is taken whenever it is served")
    finally:
        a.close()


test_security_update_not_served()
test_nothing_served()
test_installed_served_preferred()
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
