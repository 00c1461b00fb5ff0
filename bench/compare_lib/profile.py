"""--profile: where a proxy's time goes under the connection-rate load. perf stat counts
syscalls, context switches and io_uring requests per connection for every proxy (tracepoints:
this VM has no hardware counters); perf record -e cpu-clock samples edgeproxy."""

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


def _rate_under(r, inst, be, cfg, perf_argv, log_path):
    """One rate run of cfg.profile_s against inst with perf_argv attached to its processes."""
    seconds = cfg.profile_s
    pids = ",".join(str(p) for p in inst.pids())
    with open(log_path, "wb") as err:
        perf = subprocess.Popen(perf_argv + ["-p", pids, "--", "sleep", str(seconds + 1)],
                                stdout=subprocess.DEVNULL, stderr=err)
    time.sleep(0.5)
    saved, cfg.rate_s = cfg.rate_s, seconds
    try:
        s = runs.rate(r, runs.target(inst.kind.name, [inst.port], be, inst), cfg)
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


def count(r, inst, be, cfg, out_dir):
    """Per-connection counts of COUNTED for inst under the rate load, or None."""
    if not shutil.which("perf"):
        return None
    csv = out_dir / f"perf-stat-{inst.kind.name}.csv"
    argv = ["perf", "stat", "-x", ",", "-o", str(csv), "-e", ",".join(COUNTED)]
    segs0 = _tcp_out_segs()
    s, rc = _rate_under(r, inst, be, cfg, argv, out_dir / f"perf-stat-{inst.kind.name}.log")
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


def count_table(counts):
    names = [n for n in ("edgeproxy", "haproxy", "nginx") if n in counts]
    head = ["per proxied connection, under `edge-load rate`"] + names
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for what in [*COUNTED.values(), "TCP segments (whole machine)"]:
        cells = []
        for n in names:
            c = counts[n]
            cells.append("FAILED" if not c or not c.get("ok") else f"{c.get(what, 0):.1f}")
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def record(r, inst, be, cfg, out_dir, log):
    """perf record of inst during one rate run; returns the report's text (self and inclusive
    symbols, shared objects) or a line saying why there is none."""
    if not shutil.which("perf"):
        return "perf not installed (tools/install_deps bench installs linux-perf)"
    data = out_dir / "perf-edgeproxy-rate.data"
    argv = ["perf", "record", "-e", "cpu-clock", "-g", "-o", str(data)]
    s, rc = _rate_under(r, inst, be, cfg, argv, out_dir / "perf-record.log")
    if rc != 0:
        return "perf record failed: " + (out_dir / "perf-record.log").read_text()[-500:]
    parts = [f"edgeproxy under `edge-load rate` for {cfg.profile_s} s: "
             f"{s.get('per_second', 0):,.0f} connections/s, run {'ok' if s.get('ok') else 'FAILED'}"]
    views = (("self, by symbol", ["--no-children", "--sort", "sym"], 30),
             ("inclusive (children), by symbol", ["--children", "--sort", "sym"], 40),
             ("by shared object", ["--no-children", "--sort", "dso"], 10))
    for title, args, n in views:
        rep = subprocess.run(["perf", "report", "-i", str(data), "--stdio", *args, "-g", "none",
                              "--percent-limit", "0.7"], capture_output=True, text=True, timeout=120)
        body = [l.rstrip() for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
        parts.append(f"{title}:\n" + "\n".join(body[:n]))
    text = "\n\n".join(parts)
    (out_dir / "profile.txt").write_text(text + "\n")
    log(f"  profile: {out_dir / 'profile.txt'} (perf data {data})")
    return text
