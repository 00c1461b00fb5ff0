"""One measured run of edge-load against one target, with the proxy's CPU and memory read from
/proc before and after, and the bytes checked at the backend. Every run yields a sample dict;
a run whose proxy did not really forward has ok False and a reason, never a figure."""

import json
import subprocess
import time

from . import procstat


class target:
    """Where load goes: a proxy instance, or the backends themselves (direct); `backend` is the
    serve process behind it, whose counts check the run."""

    def __init__(self, name, ports, backend, inst=None):
        self.name, self.ports, self.backend, self.inst = name, ports, backend, inst

    def pids(self):
        return self.inst.pids() if self.inst else []


def snapshot(path, ports):
    """`ss -tnoi` of the sockets on any of ports (either end) into path; best effort."""
    filt = " or ".join(f"sport = :{p} or dport = :{p}" for p in ports)
    try:
        with open(path, "wb") as out:
            subprocess.run(["ss", "-tanoi", filt], stdout=out, stderr=subprocess.STDOUT,
                           timeout=10)
    except (OSError, subprocess.SubprocessError):
        pass


class runner:
    """Runs edge-load clients pinned to the load CPU against targets; owns the run counter that
    names each run's files."""

    def __init__(self, edge_load, work, load_cpu, proxy_cpu, log):
        self.edge_load, self.work = edge_load, work
        self.load_cpu, self.proxy_cpu, self.log = load_cpu, proxy_cpu, log
        self.n = 0

    def _client(self, mode, tgt, args, timeout_s, on_line=None):
        """Runs one edge-load client; returns (exit code, parsed JSON or None, stdout path)."""
        self.n += 1
        stem = self.work / f"run{self.n:04d}-{mode}-{tgt.name}"
        out_path, json_path = stem.with_suffix(".out"), stem.with_suffix(".json")
        argv = [self.edge_load, mode, *[f"127.0.0.1:{p}" for p in tgt.ports],
                "--cpus", str(self.load_cpu), "--no-progress", "--json", str(json_path), *args]
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        if on_line:
            on_line(proc, out_path, deadline)
        try:
            rc = proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # What the stalled connections looked like, for whoever reads the failed run: every
            # TCP socket on the target's and the backends' ports, with queues and timers.
            snapshot(stem.with_suffix(".ss"), list(tgt.ports) + list(tgt.backend.ports))
            proc.kill()
            proc.wait()
            rc = f"killed after timeout (sockets: {stem.with_suffix('.ss').name})"
        try:
            with open(json_path) as f:
                res = json.load(f)
        except (OSError, json.JSONDecodeError):
            res = None
        return rc, res, out_path

    def measure(self, mode, tgt, args, timeout_s, on_line=None, expect_conns=None):
        """One run with accounting: proxy CPU and context switches (all its processes and
        threads), load-side CPU (client and backend), per-CPU busy time, the machine's IPIs,
        backend byte and connection counts before and after."""
        pids = tgt.pids()
        be = tgt.backend
        back0 = be.stats()
        if back0 is None:
            return {"ok": False, "reason": "backend stats unavailable"}
        t0 = time.monotonic()
        pcpu0, bcpu0, busy0 = procstat.cpu_seconds(pids), be.cpu_seconds(), procstat.cpu_busy()
        sw0, ipi0 = procstat.context_switches(pids), procstat.ipis()
        rc, res, out_path = self._client(mode, tgt, args, timeout_s, on_line)
        back1 = be.settled(back0["active"])
        pcpu1, bcpu1, busy1 = procstat.cpu_seconds(pids), be.cpu_seconds(), procstat.cpu_busy()
        sw1, ipi1 = procstat.context_switches(pids), procstat.ipis()
        window = max(time.monotonic() - t0, 1e-3)
        s = {"ok": True, "reason": "", "exit_code": rc, "client": res, "out": str(out_path),
             "ipis": ipi1 - ipi0}
        if pids:
            s["wakeups"], s["preemptions"] = sw1[0] - sw0[0], sw1[1] - sw0[1]
        problems = []
        if rc != 0:
            problems.append(f"edge-load exit {rc}")
        if res is None:
            problems.append("no JSON from edge-load")
        elif not res.get("ok", False):
            problems.append(res.get("verdict", "edge-load verdict not ok"))
        if tgt.inst is not None and not tgt.inst.alive():
            problems.append("proxy exited")
        if back1 is None:
            problems.append("backend stats unavailable")
        if res is not None and back1 is not None:
            got_rx = back1["bytes_received"] - back0["bytes_received"]
            got_tx = back1["bytes_sent"] - back0["bytes_sent"]
            conns = back1["connections"] - back0["connections"]
            s["backend"] = {"bytes_received": got_rx, "bytes_sent": got_tx, "connections": conns}
            sent, recv = res["bytes"]["sent"], res["bytes"]["received"]
            if got_rx != sent or got_tx != recv:
                problems.append(f"backend saw {got_rx}/{got_tx} bytes in/out, client {sent}/{recv}")
            if expect_conns is not None and conns != expect_conns(res):
                problems.append(f"backend accepted {conns} connections, expected {expect_conns(res)}")
            if back1["errors"] != back0["errors"]:
                problems.append(f"backend errors +{back1['errors'] - back0['errors']}")
        if problems:
            s["ok"], s["reason"] = False, "; ".join(problems)
        if res is not None:
            wall = res.get("wall_s") or 1e-9
            load_cpu = res["cpu"]["user_s"] + res["cpu"]["sys_s"] + (bcpu1 - bcpu0)
            s["wall_s"] = wall
            s["proxy_cpu_s"] = pcpu1 - pcpu0 if pids else None
            s["load_share"] = load_cpu / wall
            s["proxy_share"] = (pcpu1 - pcpu0) / wall if pids else None
            # Busy time of each CPU not explained by our processes, over the whole measurement
            # window: other users of this shared machine.
            own = {self.load_cpu: load_cpu}
            if pids:
                own[tgt.inst.cpu] = own.get(tgt.inst.cpu, 0.0) + (pcpu1 - pcpu0)
            s["others_share"] = {str(c): max(0.0, (busy1[c] - busy0[c] - own.get(c, 0.0)) / window)
                                 for c in sorted({self.load_cpu, self.proxy_cpu}) if c in busy1}
        if not s["ok"]:
            self.log(f"    FAILED {mode} {tgt.name}: {s['reason']} (see {out_path})")
        return s


def per_unit(s, completed):
    """Per connection or request: proxy CPU per 10,000, IPIs, proxy wake-ups and preemptions."""
    if not completed:
        return
    if s.get("proxy_cpu_s") is not None:
        s["cpu_per_10k"] = s["proxy_cpu_s"] / completed * 1e4
    for key in ("ipis", "wakeups", "preemptions"):
        if s.get(key) is not None:
            s[f"{key}_per_unit"] = s[key] / completed


def rate(r, tgt, cfg):
    """Connections flat out: connect, 64 bytes each way, close (the client closes first)."""
    s = r.measure("rate", tgt, ["--duration", f"{cfg.rate_s}s", "--concurrency", "64",
                                "--send", "64", "--recv", "64"], cfg.rate_s + 30,
                  expect_conns=lambda res: res["attempted"])
    if s.get("client"):
        c = s["client"]
        s["per_second"] = c["per_second"]
        s["completed"] = c["completed"]
        per_unit(s, c["completed"])
    return s


# The second workload: an HTTP/1.0-style exchange where the backend closes first. The request is
# a real HTTP GET's bytes (the proxies are L4: only its size matters to them); the backend
# answers REPLY_BYTES of the pattern once it has the whole request, then closes.
HTTP_REQUEST = "GET /small HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
REPLY_BYTES = 512
CLOSE_FIRST_CLIENTS = 32


def close_first_backend_args():
    """`edge-load serve` flags of the backend-closes-first workload."""
    return ["--mode", "reply", "--request", str(len(HTTP_REQUEST)), "--reply", str(REPLY_BYTES),
            "--close-after-reply"]


def close_first(r, tgt, cfg):
    """32 clients flat out: connect, send the GET, read until the backend closes, close."""
    s = r.measure("rate", tgt, ["--duration", f"{cfg.rate_s}s",
                                "--concurrency", str(CLOSE_FIRST_CLIENTS),
                                "--send-text", HTTP_REQUEST, "--recv", "eof"], cfg.rate_s + 30,
                  expect_conns=lambda res: res["attempted"])
    if s.get("client"):
        c = s["client"]
        s["per_second"] = c["per_second"]
        s["completed"] = c["completed"]
        if c["completed"] and c["bytes"]["received"] != c["completed"] * REPLY_BYTES and s["ok"]:
            s["ok"], s["reason"] = False, (f"{c['bytes']['received']} bytes received, expected "
                                           f"{REPLY_BYTES} per connection")
        per_unit(s, c["completed"])
    return s


def bulk(r, tgt, cfg, streams=8, size=None):
    """`streams` parallel echo streams moving cfg.bulk_bytes (or size) each way."""
    s = r.measure("bulk", tgt, ["--streams", str(streams), "--bytes", size or cfg.bulk_bytes,
                                "--direction", "both"],
                  cfg.bulk_timeout_s, expect_conns=lambda res: streams)
    if s.get("client"):
        c = s["client"]
        moved = c["bytes"]["sent"] + c["bytes"]["received"]
        s["gb_relayed"] = moved / 1e9
        s["GBps"] = moved / 1e9 / max(c["elapsed_s"], 1e-9)
        if s.get("proxy_cpu_s") is not None and moved:
            s["cpu_per_GB"] = s["proxy_cpu_s"] / (moved / 1e9)
    return s


def bulk_one(r, tgt, cfg):
    """One echo stream moving 4 × cfg.bulk_bytes each way (a run about as long as the 8 streams'
    run, since CPU time is counted in 10 ms ticks): what a single flow costs per GB."""
    n, unit = cfg.bulk_bytes[:-1], cfg.bulk_bytes[-1]
    size = f"{4 * int(n)}{unit}" if n.isdigit() and unit in "KMG" else cfg.bulk_bytes
    return bulk(r, tgt, cfg, streams=1, size=size)


def rr(r, tgt, cfg):
    """Requests of 64 bytes over 16 kept-alive connections at a fixed rate."""
    s = r.measure("rr", tgt, ["--rate", f"{cfg.rr_rate}/s", "--connections", "16",
                              "--duration", f"{cfg.rr_s}s", "--send", "64", "--recv", "64"],
                  cfg.rr_s + 30, expect_conns=lambda res: 16)
    if s.get("client"):
        c = s["client"]
        lat = c["latency_us"]["request"]
        s.update(p50=lat["p50"], p90=lat["p90"], p99=lat["p99"], p999=lat["p999"],
                 missed=c["figures"].get("missed_requests", 0))
        per_unit(s, c["completed"])
    return s


def hold(r, tgt, cfg):
    """cfg.hold_conns idle connections (16 bytes echoed through each first, which proves it
    reached a backend); proxy RSS sampled before and while they are held."""
    pids = tgt.pids()
    rss = {"before": procstat.rss_bytes(pids)}

    def when_holding(proc, out_path, deadline):
        while time.monotonic() < deadline and proc.poll() is None:
            if b"holding" in out_path.read_bytes():
                time.sleep(0.2)  # let the last accepts settle into the proxy's tables
                rss["during"] = procstat.rss_bytes(pids)
                return
            time.sleep(0.02)

    n = cfg.hold_conns
    s = r.measure("hold", tgt, ["--connections", str(n), "--hold", f"{cfg.hold_s}s",
                                "--send", "16", "--recv", "16"], cfg.hold_s + 60,
                  on_line=when_holding, expect_conns=lambda res: n)
    s["rss_before"], s["rss_during"] = rss["before"], rss.get("during")
    if s.get("client"):
        est = s["client"]["figures"].get("established", 0)
        if est != n and s["ok"]:
            s["ok"], s["reason"] = False, f"{est} of {n} connections established"
        if rss.get("during") is not None and est:
            s["rss_per_conn"] = (rss["during"] - rss["before"]) / est
    if rss.get("during") is None and s["ok"]:
        s["ok"], s["reason"] = False, "never saw the 'holding' line"
    return s
