"""CPU time a process has used so far, for the benchmarks: /proc on Linux,
GetProcessTimes on Windows (standard library only)."""

import os
import sys


def process_cpu_ns(pid):
    """User + system CPU of process `pid`, in ns."""
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes
        k32 = ctypes.WinDLL("kernel32", use_last_error=True)
        h = k32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not h:
            raise OSError(ctypes.get_last_error(), f"OpenProcess({pid})")
        times = [wintypes.FILETIME() for _ in range(4)]
        try:
            if not k32.GetProcessTimes(h, *[ctypes.byref(t) for t in times]):
                raise OSError(ctypes.get_last_error(), "GetProcessTimes")
        finally:
            k32.CloseHandle(h)
        ticks = [(t.dwHighDateTime << 32) | t.dwLowDateTime for t in times[2:]]  # kernel, user
        return sum(ticks) * 100
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
