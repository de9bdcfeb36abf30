"""This process's and this host's memory, as the memory benchmarks read it (Linux /proc and
getrusage; where /proc is missing, available memory reads as unlimited and RSS as NaN)."""

from __future__ import annotations

import resource


def available_host_bytes() -> float:
    """MemAvailable of /proc/meminfo: what new allocations can take without swapping."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return float("inf")


def rss_now_mb() -> float:
    """This process's resident set now (VmRSS), in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return float("nan")


def peak_rss_mb() -> float:
    """This process's largest resident set so far (ru_maxrss, KiB on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
