"""What the machine and the software under test were, for the report's header."""

import os
import platform
import resource
import subprocess
import time


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _cpuinfo():
    model, flags = "", ""
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, val = line.partition(":")
        key, val = key.strip(), val.strip()
        if key == "model name" and not model:
            model = val
        elif key == "flags" and not flags:
            flags = val
    return model, flags


def _git(source_dir, *args):
    try:
        out = subprocess.run(["git", "-C", str(source_dir), *args], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip()
    except OSError:
        return ""


def collect(source_dir, cpus_used):
    """Date, CPU, kernel, limits, loopback sysctls and the source revision."""
    model, flags = _cpuinfo()
    dirty = _git(source_dir, "status", "--porcelain", "--untracked-files=no")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu_model": model,
        "cpu_flags": flags,
        "cpus_online": os.cpu_count(),
        "cpus_used": cpus_used,
        "kernel": f"{platform.release()} {platform.version()}",
        "loadavg_start": _read("/proc/loadavg"),
        "nofile_hard": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
        "sysctl": {k: _read(f"/proc/sys/net/{k.replace('.', '/')}") for k in
                   ["core.somaxconn", "ipv4.tcp_tw_reuse", "ipv4.ip_local_port_range"]},
        "revision": (_git(source_dir, "rev-parse", "--short", "HEAD") or "unknown (not a git checkout)")
                    + (" (modified)" if dirty else ""),
    }


NOTABLE_FLAGS = ["avx2", "avx512f", "avx512vl", "avx512bw", "avx512ifma", "aes", "sha_ni",
                 "hypervisor"]


def notable_flags(flags):
    """The flags that matter to this project, in a fixed order (the full list is in the JSON)."""
    have = set(flags.split())
    return " ".join(f for f in NOTABLE_FLAGS if f in have)
