"""The proxies under test (edgeproxy, HAProxy, nginx) and the direct baseline: their
configuration, start, readiness probe and stop. Every proxy gets one worker (thread or process)
pinned to one CPU, the same listen backlog, round robin over the same backends, no data-path
logging."""

import os
import signal
import socket
import string
import subprocess
import time
from pathlib import Path

from . import procstat

HERE = Path(__file__).resolve().parent
BACKLOG = 4096
NGINX_STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"


def free_port():
    """A loopback TCP port nobody listens on right now (the proxy binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_pinned(argv, cpu, log_path):
    """Starts argv with its CPU affinity set to {cpu} from the first instruction (inherited from
    this process, so no taskset exec sits between exec and the proxy's own start-up)."""
    mine = os.sched_getaffinity(0)
    log = open(log_path, "ab")
    try:
        os.sched_setaffinity(0, {cpu})
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    finally:
        os.sched_setaffinity(0, mine)
        log.close()


def probe(port, deadline, proc=None, request=b"\0"):
    """Connects to port until one connection sends `request` and gets the pattern's first byte
    (0) back through to a backend (an echo of the default request, or the start of a reply);
    returns the monotonic time of that byte, or None at deadline or once proc has exited.
    Refused connections retry after 0.2 ms."""
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
                s.settimeout(max(0.05, deadline - time.monotonic()))
                s.sendall(request)
                if s.recv(1) == b"\0":
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.0002)
    return None


def stop_tree(proc, timeout=3.0):
    """SIGTERM to the main process, then SIGKILL to whatever of its tree is left after timeout."""
    pids = procstat.tree(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if proc.poll() is None:
        proc.wait(2.0)


class proxy:
    """One kind of proxy: writes its configuration for (cpu, port) and gives its command line."""

    name = ""
    label = ""

    def __init__(self, env):
        # .work (Path), .backends {workload: {name: [(host, port)]}}, .routing_db {workload:
        # Path}, .bins {}, .maxconn
        self.env = env

    def argv(self, cpu, port, tag, workload):
        raise NotImplementedError

    def version(self):
        return ""


class edgeproxy(proxy):
    name, label = "edgeproxy", "edgeproxy"

    def argv(self, cpu, port, tag, workload):
        # Affinity off (--binding-ttl 0) so that, like HAProxy's and nginx's round robin, every
        # connection is balanced afresh; the metrics endpoint is off like the others' stats, and
        # health checks too, as the others are configured without any (a check's connection
        # would also be counted at the backends, which every run verifies).
        return [self.env.bins["edgeproxy"], "--listen", f"127.0.0.1:{port}", "--db",
                str(self.env.routing_db[workload]), "--cpus", str(cpu), "--metrics", "off",
                "--binding-ttl", "0", "--backlog", str(BACKLOG), "--check-interval", "0",
                "--eject-after", "0"] + getattr(self.env, "edgeproxy_args", [])

    def version(self):
        out = subprocess.run([self.env.bins["edgeproxy"], "--version"], capture_output=True,
                             text=True, timeout=10)
        # "edgeproxy VERSION", then build details: keep the revision it was built from.
        lines = out.stdout.strip().splitlines() or [""]
        rev = next((l.split(None, 1)[1] for l in lines[1:] if l.startswith("revision")), "")
        return lines[0] + (f" ({rev})" if rev else "")


class haproxy(proxy):
    name, label = "haproxy", "HAProxy"

    def argv(self, cpu, port, tag, workload):
        servers = "\n".join(f"    server b{i} {h}:{p}"
                            for i, (h, p) in enumerate(self.env.backends[workload][self.name]))
        text = string.Template((HERE / "haproxy.cfg.in").read_text()).substitute(
            comment=tag, cpu=cpu, maxconn=self.env.maxconn, listen=f"127.0.0.1:{port}",
            backlog=BACKLOG, servers=servers,
            splice="option splice-auto" if getattr(self.env, "haproxy_splice", True)
            else "# option splice-auto: off (--haproxy-no-splice)",
            busy="busy-polling" if getattr(self.env, "haproxy_busy", False)
            else "# busy-polling: off (bench/compare --busy-poll turns it on)")
        cfg = self.env.work / f"haproxy-{tag}.cfg"
        cfg.write_text(text)
        return ["haproxy", "-db", "-f", str(cfg)]

    def version(self):
        out = subprocess.run(["haproxy", "-v"], capture_output=True, text=True, timeout=10)
        return out.stdout.splitlines()[0] if out.stdout else ""


class nginx(proxy):
    name, label = "nginx", "nginx"

    def argv(self, cpu, port, tag, workload):
        servers = "\n".join(f"        server {h}:{p};" for h, p in self.env.backends[workload][self.name])
        work = self.env.work
        text = string.Template((HERE / "nginx.conf.in").read_text()).substitute(
            comment=tag, stream_module=NGINX_STREAM_MODULE, cpu_mask="1" + "0" * cpu,
            nofile=self.env.nofile, pid_file=work / f"nginx-{tag}.pid",
            error_log=work / f"nginx-{tag}.error.log",
            worker_connections=2 * self.env.maxconn + 100, servers=servers,
            listen=f"127.0.0.1:{port}", backlog=BACKLOG)
        cfg = work / f"nginx-{tag}.conf"
        cfg.write_text(text)
        # -e: the error log before the configuration is read (else /var/log/nginx/error.log).
        return ["nginx", "-c", str(cfg), "-p", str(work), "-e", str(work / f"nginx-{tag}.error.log")]

    def version(self):
        out = subprocess.run(["nginx", "-v"], capture_output=True, text=True, timeout=10)
        return out.stderr.strip()


PROXIES = {"edgeproxy": edgeproxy, "haproxy": haproxy, "nginx": nginx}


class instance:
    """A running proxy in front of one workload's backends: its process tree, its port, its
    CPU."""

    def __init__(self, kind, cpu, tag, workload="echo"):
        self.kind, self.cpu, self.tag, self.workload = kind, cpu, tag, workload
        self.port = free_port()
        self.log = kind.env.work / f"{kind.name}-{tag}.log"
        self.proc = None
        self.paused = False
        self.start_s = None  # exec → first proxied echo, when started with start()

    def start(self, timeout=5.0):
        """Starts the proxy and waits until a connection is proxied; returns seconds from exec to
        that first echo, or raises RuntimeError with the log's tail."""
        argv = self.kind.argv(self.cpu, self.port, self.tag, self.workload)
        t0 = time.monotonic()
        self.proc = spawn_pinned(argv, self.cpu, self.log)
        t1 = probe(self.port, t0 + timeout, self.proc, self.kind.env.probe_request[self.workload])
        if t1 is None or self.proc.poll() is not None:
            code = self.proc.poll()
            self.stop()
            tail = self.log.read_text(errors="replace").strip()[-2000:] if self.log.exists() else ""
            why = f"exited with status {code}" if code is not None else f"did not answer in {timeout} s"
            last = tail.splitlines()[-1] if tail else ""
            raise RuntimeError(f"{self.kind.name} {why}: {last}\n{tail}")
        self.start_s = t1 - t0
        return self.start_s

    def pids(self):
        """The proxy's processes (nginx: master and worker)."""
        return procstat.tree(self.proc.pid) if self.proc else []

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pause(self, paused):
        """SIGSTOP (paused) or SIGCONT to every process of the instance: a proxy that polls
        instead of sleeping (HAProxy's busy-polling spins even when idle) would otherwise take
        CPU time from whichever target is being measured on its CPU."""
        if self.proc is None or paused == self.paused:
            return
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGSTOP if paused else signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.paused = paused

    def stop(self):
        if self.proc is not None:
            self.pause(False)  # a stopped process would not act on the SIGTERM
            stop_tree(self.proc)
            self.proc = None

