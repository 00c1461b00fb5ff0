"""A CPU profile of edgeproxy under the connection-rate load (perf record -e cpu-clock: this VM
has no hardware counters)."""

import shutil
import subprocess
import time

from . import runs


def record(r, inst, cfg, out_dir, log):
    """perf record of inst's process during one rate run; returns the report's text (top symbols,
    top shared objects) or a line saying why there is none."""
    if not shutil.which("perf"):
        return "perf not installed (tools/install_deps bench installs linux-perf)"
    data = out_dir / "perf-edgeproxy-rate.data"
    seconds = cfg.profile_s
    perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-g", "-p", str(inst.proc.pid),
                             "-o", str(data), "--", "sleep", str(seconds + 1)],
                            stdout=subprocess.DEVNULL, stderr=open(out_dir / "perf-record.log", "wb"))
    time.sleep(0.5)
    saved = cfg.rate_s
    cfg.rate_s = seconds
    s = runs.rate(r, runs.target("edgeproxy", [inst.port], inst), cfg)
    cfg.rate_s = saved
    try:
        perf.wait(seconds + 30)
    except subprocess.TimeoutExpired:
        perf.kill()
        perf.wait()
    if perf.returncode != 0:
        return "perf record failed: " + (out_dir / "perf-record.log").read_text()[-500:]
    parts = [f"edgeproxy under `edge-load rate` for {seconds} s: "
             f"{s.get('per_second', 0):,.0f} connections/s, run {'ok' if s.get('ok') else 'FAILED'}"]
    for title, sort in (("by symbol (self)", "sym"), ("by shared object", "dso")):
        rep = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children",
                              "--sort", sort, "-g", "none", "--percent-limit", "0.7"],
                             capture_output=True, text=True, timeout=120)
        body = [l for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
        parts.append(f"{title}:\n" + "\n".join(body[:30]))
    text = "\n\n".join(parts)
    (out_dir / "profile.txt").write_text(text + "\n")
    log(f"  profile: {out_dir / 'profile.txt'} (perf data {data})")
    return text
