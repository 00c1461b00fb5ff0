"""--profile: where each proxy's time goes under both connection workloads. perf stat counts
syscalls, context switches and io_uring requests per connection (tracepoints: this VM has no
hardware counters); perf record -e cpu-clock -g samples every proxy, and each sample is filed
under the operation that caused it and the kind of work it is, in microseconds per connection."""

import shutil
import subprocess
import time

from . import runs

COUNTED = {
    "raw_syscalls:sys_enter": "syscalls",
    "context-switches": "context switches",
    "io_uring:io_uring_submit_req": "io_uring requests",
    "io_uring:io_uring_queue_async_work": "io-wq punts",
}

WORKLOAD_RUNS = {"echo": runs.rate, "close": runs.close_first}
WORKLOAD_TITLES = {"echo": "echo (the client closes first)", "close": "backend closes first"}

# The operation a sample belongs to: the outermost (nearest the syscall or io_uring dispatch)
# frame of these. io_uring handlers and the classic syscalls land on the same names.
OPERATIONS = [
    ("accept", {"io_accept", "__sys_accept4", "__x64_sys_accept4", "__x64_sys_accept",
                "do_accept"}),
    ("connect", {"io_connect", "__sys_connect", "__x64_sys_connect"}),
    ("socket, options, names", {"io_socket", "__sys_socket", "__x64_sys_socket",
                                "__sys_setsockopt", "__x64_sys_setsockopt", "do_sock_setsockopt",
                                "__sys_getsockopt", "__x64_sys_getsockopt", "__sys_getsockname",
                                "__x64_sys_getsockname", "__sys_getpeername",
                                "__x64_sys_getpeername", "__x64_sys_fcntl", "do_fcntl",
                                "io_uring_cmd"}),
    ("send", {"io_send", "io_sendmsg", "io_write", "__sys_sendto", "__x64_sys_sendto",
              "__sys_sendmsg", "__x64_sys_sendmsg", "ksys_write", "vfs_write", "do_writev",
              "vfs_writev", "__x64_sys_write", "__x64_sys_writev", "do_splice",
              "__x64_sys_splice", "io_splice"}),
    ("receive", {"io_recv", "io_recvmsg", "io_read", "__sys_recvfrom", "__x64_sys_recvfrom",
                 "__sys_recvmsg", "__x64_sys_recvmsg", "ksys_read", "vfs_read", "do_readv",
                 "__x64_sys_read", "__x64_sys_readv"}),
    ("shutdown", {"io_shutdown", "__sys_shutdown", "__x64_sys_shutdown"}),
    ("close", {"__fput", "io_close", "__x64_sys_close", "__x64_sys_close_range"}),
    ("event wait", {"do_epoll_wait", "do_epoll_ctl", "__x64_sys_epoll_wait",
                    "__x64_sys_epoll_pwait", "__x64_sys_epoll_ctl", "io_cqring_wait"}),
]
# The kind of work, from the innermost frame outwards: the first rule that matches.
WAKEUP = {"try_to_wake_up", "__wake_up_common", "__wake_up_sync_key", "sock_def_readable",
          "sock_def_wakeup", "__wake_up", "ttwu_queue_wakelist"}
LOOPBACK_RX = {"net_rx_action", "process_backlog", "__netif_receive_skb",
               "__netif_receive_skb_one_core", "ip_rcv", "ipv6_rcv"}
FILE_TABLE = {"fget", "__fget_light", "__fget_files", "fdget", "__fdget", "fput", "fput_many",
              "io_file_get_normal", "alloc_fd", "__alloc_fd", "fd_install", "get_unused_fd_flags",
              "file_close_fd", "pick_file", "close_fd", "__get_unused_fd_flags", "put_unused_fd"}
SCHEDULER = {"schedule", "__schedule", "schedule_hrtimeout_range", "finish_task_switch",
             "finish_task_switch.isra.0"}
KINDS = ["user space", "file table (fd lookup, install, release)", "syscall and io_uring plumbing",
         "own TCP and socket work", "the peer's TCP input, run inline on loopback",
         "waking another task", "scheduler (sleep and wake-up of the proxy)"]


def _kind(stack):
    """Innermost-first frames [(symbol, dso)] → one of KINDS."""
    if not stack:
        return KINDS[2]
    if "kernel" not in stack[0][1]:
        return KINDS[0]
    syms = [s for s, _ in stack]
    for s in syms:
        if s in WAKEUP:
            return KINDS[5]
        if s in LOOPBACK_RX:
            return KINDS[4]
        if s in SCHEDULER:
            return KINDS[6]
    leaf = syms[0]
    if leaf in FILE_TABLE:
        return KINDS[1]
    for s in syms:
        if s.startswith(("tcp_", "inet_", "__inet", "sock_", "__sock", "sk_", "skb_", "__skb",
                         "ip_", "__ip", "ipv6_", "__tcp", "kmem_", "kmalloc", "__kmalloc",
                         "kfree", "__dev_", "dev_", "loopback_", "__copy", "_copy", "copy_")):
            return KINDS[3]
    return KINDS[2]


def _operation(stack):
    # Outermost first; waiting for events is named only when no operation ran inside the wait
    # (io_uring runs deferred work, a close's release among it, from inside its wait).
    for ops in (OPERATIONS[:-1], OPERATIONS[-1:]):
        for s, _ in reversed(stack):
            for name, syms in ops:
                if s in syms:
                    return name
    return "user space" if stack and "kernel" not in stack[0][1] else "other kernel work"


def breakdown(data, connections):
    """perf script of a cpu-clock record → {(operation, kind): µs per connection}, total."""
    out = subprocess.run(["perf", "script", "-i", str(data), "-F", "period,ip,sym,dso"],
                         capture_output=True, text=True, timeout=600)
    cells, total = {}, 0.0
    period, stack = 0, []

    def flush():
        nonlocal total
        if period:
            key = (_operation(stack), _kind(stack))
            cells[key] = cells.get(key, 0.0) + period
            total += period

    for line in out.stdout.splitlines():
        if not line.strip():
            continue
        if not line.startswith("\t"):  # a sample's header (its period); frames are indented by tabs
            flush()
            stack = []
            try:
                period = int(line.split()[0])
            except (ValueError, IndexError):
                period = 0
            continue
        f = line.split(None, 1)
        if len(f) < 2:
            continue
        rest = f[1]
        dso = rest[rest.rfind("(") + 1:-1] if rest.endswith(")") else ""
        sym = rest[:rest.rfind("(")].strip() if "(" in rest else rest.strip()
        sym = sym.split("+0x")[0]
        stack.append((sym, dso))
    flush()
    scale = 1e-3 / max(connections, 1)  # period is ns of CPU
    return {k: v * scale for k, v in cells.items()}, total * scale


def _run_under(r, inst, be, workload, cfg, perf_argv, log_path):
    """One run of the workload for cfg.profile_s against inst with perf_argv attached."""
    seconds = cfg.profile_s
    pids = ",".join(str(p) for p in inst.pids())
    with open(log_path, "wb") as err:
        perf = subprocess.Popen(perf_argv + ["-p", pids, "--", "sleep", str(seconds + 1)],
                                stdout=subprocess.DEVNULL, stderr=err)
    time.sleep(0.5)
    saved, cfg.rate_s = cfg.rate_s, seconds
    try:
        s = WORKLOAD_RUNS[workload](r, runs.target(inst.kind.name, [inst.port], be, inst), cfg)
    finally:
        cfg.rate_s = saved
    try:
        perf.wait(seconds + 30)
    except subprocess.TimeoutExpired:
        perf.kill()
        perf.wait()
    return s, perf.returncode


def _tcp_out_segs():
    """Tcp OutSegs of the whole machine (every loopback segment is counted once sent)."""
    with open("/proc/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith("Tcp:")]
    return int(rows[1][rows[0].index("OutSegs")])


def count(r, inst, be, workload, cfg, out_dir):
    """Per-connection counts of COUNTED for inst under the workload, or None."""
    if not shutil.which("perf"):
        return None
    stem = f"perf-stat-{workload}-{inst.kind.name}"
    csv = out_dir / f"{stem}.csv"
    argv = ["perf", "stat", "-x", ",", "-o", str(csv), "-e", ",".join(COUNTED)]
    segs0 = _tcp_out_segs()
    s, rc = _run_under(r, inst, be, workload, cfg, argv, out_dir / f"{stem}.log")
    segs = _tcp_out_segs() - segs0
    if rc != 0 or not s.get("ok") or not s.get("completed"):
        return {"ok": False, "reason": s.get("reason") or f"perf stat exit {rc}"}
    # perf counts from attach to detach (a little longer than the run): per connection it is an
    # upper bound by the idle loop's few wake-ups.
    out = {"ok": True, "connections": s["completed"], "per_second": s["per_second"],
           "TCP segments (whole machine)": segs / s["completed"]}
    for line in csv.read_text().splitlines():
        f = line.split(",")
        if len(f) > 2 and f[2] in COUNTED and f[0].strip().isdigit():
            out[COUNTED[f[2]]] = int(f[0]) / s["completed"]
    return out


def record(r, inst, be, workload, cfg, out_dir, log):
    """perf record of inst during one run: the breakdown, and for edgeproxy the report's text
    (self and inclusive symbols). Returns {"ok", "cells", "total_us", "text", ...}."""
    if not shutil.which("perf"):
        return {"ok": False, "reason": "perf not installed (tools/install_deps bench installs linux-perf)"}
    name = inst.kind.name
    data = out_dir / f"perf-{workload}-{name}.data"
    argv = ["perf", "record", "-e", "cpu-clock", "-g", "-o", str(data)]
    s, rc = _run_under(r, inst, be, workload, cfg, argv, out_dir / f"perf-record-{workload}-{name}.log")
    if rc != 0 or not s.get("ok") or not s.get("completed"):
        return {"ok": False, "reason": s.get("reason") or f"perf record exit {rc}"}
    cells, total = breakdown(data, s["completed"])
    res = {"ok": True, "cells": cells, "total_us": total, "per_second": s["per_second"],
           "connections": s["completed"]}
    if name == "edgeproxy":
        parts = [f"edgeproxy, {WORKLOAD_TITLES[workload]}, {cfg.profile_s} s: "
                 f"{s.get('per_second', 0):,.0f} connections/s"]
        views = (("self, by symbol", ["--no-children", "--sort", "sym"], 30),
                 ("inclusive (children), by symbol", ["--children", "--sort", "sym"], 40))
        for title, args, n in views:
            rep = subprocess.run(["perf", "report", "-i", str(data), "--stdio", *args, "-g", "none",
                                  "--percent-limit", "0.7"], capture_output=True, text=True,
                                 timeout=300)
            body = [l.rstrip() for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
            parts.append(f"{title}:\n" + "\n".join(body[:n]))
        res["text"] = "\n\n".join(parts)
        (out_dir / f"profile-{workload}.txt").write_text(res["text"] + "\n")
        log(f"  profile: {out_dir / f'profile-{workload}.txt'} (perf data {data})")
    return res


def run_all(r, env, names, bes, cfg, out_dir, proxy_cpu, log, instance):
    """Both workloads, every proxy: counts and a recorded breakdown. instance(name, workload)
    gives a started proxy instance (the caller's factory); returns {workload: {name: {...}}}."""
    result = {}
    for workload in WORKLOAD_RUNS:
        for name in names:
            inst = instance(name, workload)
            try:
                inst.start(timeout=10.0)
                c = count(r, inst, bes[workload], workload, cfg, out_dir) or {}
                rec = record(r, inst, bes[workload], workload, cfg, out_dir, log)
                result.setdefault(workload, {})[name] = {"counts": c, "record": rec}
                log(f"  profile {workload:5} {name:9} "
                    + (f"{rec['total_us']:.1f} µs sampled per connection" if rec.get("ok")
                       else "FAILED " + rec.get("reason", "")))
            finally:
                inst.stop()
    return result


def _fmt(v):
    return f"{v:.1f}" if v >= 0.05 else "·"


def tables(profiles):
    """Markdown: per workload, the counts and the breakdown by kind and by operation."""
    out = []
    for workload, per in profiles.items():
        names = [n for n in ("edgeproxy", "haproxy", "nginx") if n in per]
        out.append(f"**{WORKLOAD_TITLES[workload]}**, per proxied connection:")
        out.append("")
        head = ["counted (perf stat)"] + names
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for what in [*COUNTED.values(), "TCP segments (whole machine)"]:
            cells = []
            for n in names:
                c = per[n]["counts"]
                cells.append("FAILED" if not c.get("ok") else f"{c.get(what, 0):.1f}")
            out.append(f"| {what} | " + " | ".join(cells) + " |")
        out.append("")
        recs = {n: per[n]["record"] for n in names}
        ok = [n for n in names if recs[n].get("ok")]
        if not ok:
            continue
        head = ["µs of proxy CPU per connection (perf record)"] + ok
        for by, keys, idx in (("by kind of work", KINDS, 1),
                              ("by operation", [o for o, _ in OPERATIONS]
                               + ["user space", "other kernel work"], 0)):
            out += [f"| {head[0]}, {by} | " + " | ".join(ok) + " |", "|" + "---|" * len(head)]
            for k in keys:
                vals = [sum(v for key, v in recs[n]["cells"].items() if key[idx] == k) for n in ok]
                if all(v < 0.05 for v in vals):
                    continue
                out.append(f"| {k} | " + " | ".join(
                    f"{_fmt(v)} ({v / recs[n]['total_us']:.0%})" for v, n in zip(vals, ok)) + " |")
            out.append("| **total sampled** | " + " | ".join(
                f"**{recs[n]['total_us']:.1f}**" for n in ok) + " |")
            out.append("")
        if "haproxy" in ok:
            out += [floor_line(recs, ok), ""]
    return "\n".join(out)


TCP_KINDS = KINDS[3:6]  # own TCP work, the peer's input run inline, waking others


def floor_line(recs, names):
    """How far below HAProxy a proxy could get without the kernel doing less TCP work: each
    proxy's TCP work (the kinds no proxy chooses: segments are the protocol's, 20 per
    connection for all three) divided by HAProxy's total."""
    hap = recs["haproxy"]["total_us"]
    parts = []
    for n in names:
        tcp = sum(v for (_, k), v in recs[n]["cells"].items() if k in TCP_KINDS)
        parts.append(f"{n} {tcp:.1f} µs = {tcp / hap:.2f}× HAProxy's total")
    return ("The kernel's TCP work alone (own TCP and socket work, the peer's input run inline, "
            "waking another task) per connection: " + "; ".join(parts) + ". A proxy that spent "
            "nothing else would still be at that ratio.")


def as_json(profiles):
    """The breakdown's tuple keys as "operation / kind" strings."""
    return {w: {n: {"counts": v["counts"],
                    "record": {**{k: x for k, x in v["record"].items() if k != "cells"},
                               "cells": {f"{o} / {k}": us
                                         for (o, k), us in v["record"].get("cells", {}).items()}}}
                for n, v in per.items()} for w, per in profiles.items()}
