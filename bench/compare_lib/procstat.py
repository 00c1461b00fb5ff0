"""Readings from /proc: CPU time, RSS and context switches of process trees, per-CPU busy time,
the machine's inter-processor interrupts."""

import os

TICKS = os.sysconf("SC_CLK_TCK")


def children(pid):
    """Direct children of pid (every thread's children list, so threads that forked count)."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def tree(pid):
    """pid and all its descendants (processes, not threads)."""
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += children(p)
    return seen


def cpu_seconds(pids):
    """utime + stime of each process in pids, summed. /proc/PID/stat of a thread-group leader
    already sums all its threads (io_uring's io-wq workers included), live and exited."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def rss_bytes(pids):
    """VmRSS of each process in pids, summed (threads share their process's memory)."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def cpu_busy():
    """{cpu index: busy seconds} from /proc/stat: everything but idle and iowait."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *vals = line.split()
                v = [int(x) for x in vals]
                out[int(name[3:])] = (sum(v[:8]) - v[3] - v[4]) / TICKS
    return out


def context_switches(pids):
    """(voluntary, involuntary) context switches of every thread of each process in pids, summed.
    /proc/PID/status counts one thread only, so each task is read: a voluntary switch is the
    thread going to sleep (each one needs a wake-up later), an involuntary one a preemption.
    Threads that exited meanwhile drop out of the sum (io_uring's io-wq workers may)."""
    vol = invol = 0
    for p in pids:
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tids:
            try:
                with open(f"/proc/{p}/task/{t}/status") as f:
                    for line in f:
                        if line.startswith("voluntary_ctxt_switches:"):
                            vol += int(line.split()[1])
                        elif line.startswith("nonvoluntary_ctxt_switches:"):
                            invol += int(line.split()[1])
            except OSError:
                pass
    return vol, invol


# The IPIs a wake-up sends across CPUs: RES (rescheduling: wake a sleeping CPU for a task made
# runnable there) and CAL (function call: e.g. a remote wake-up queued through the wake list).
# On a VM each one is a VM exit charged to the sender.
IPI_KINDS = ("RES", "CAL")


def ipis():
    """Rescheduling + function-call interrupts of the whole machine so far, all CPUs summed."""
    total = 0
    with open("/proc/interrupts") as f:
        ncpu = len(f.readline().split())
        for line in f:
            name, _, rest = line.partition(":")
            if name.strip() in IPI_KINDS:
                total += sum(int(x) for x in rest.split()[:ncpu])
    return total
