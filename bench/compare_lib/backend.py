"""The backends every target shares, one `edge-load serve` process per workload (echo; a reply
that the backend closes first) with one listener per backend, pinned to the load CPU, whose byte
counts prove what a proxy really forwarded."""

import json
import os
import signal
import subprocess
import time

from . import procstat
from .proxies import BACKLOG


class backend:
    """An `edge-load serve` process (`mode_args`: --mode echo by default) listening on `count`
    loopback ports; `name` names its files in work."""

    def __init__(self, edge_load, cpu, count, work, name="echo", mode_args=("--mode", "echo")):
        self.name = name
        self.stats_path = work / f"backend-{name}-stats.json"
        self.log = work / f"backend-{name}.log"
        argv = [edge_load, "serve", *mode_args, "--cpus", str(cpu), "--backlog", str(BACKLOG),
                "--stats", str(self.stats_path), "--no-progress"]
        for _ in range(count):
            argv += ["--listen", "127.0.0.1:0"]
        self.out = work / f"backend-{name}.out"
        with open(self.out, "wb") as out, open(self.log, "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.ports = []
        deadline = time.monotonic() + 10
        while len(self.ports) < count and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            lines = self.out.read_text().splitlines()
            self.ports = [int(l.rsplit(":", 1)[1]) for l in lines if l.startswith("listening ")]
            time.sleep(0.02)
        if len(self.ports) < count:
            self.stop()
            raise RuntimeError("edge-load serve did not start: " + self.log.read_text()[-1000:])
        self.addresses = [("127.0.0.1", p) for p in self.ports]

    def cpu_seconds(self):
        return procstat.cpu_seconds([self.proc.pid])

    def stats(self, timeout=2.0):
        """Fresh counters (SIGUSR1 makes serve rewrite its stats file), or None if it does not."""
        try:
            before = os.stat(self.stats_path).st_mtime_ns
        except FileNotFoundError:
            before = None
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if os.stat(self.stats_path).st_mtime_ns != before:
                    with open(self.stats_path) as f:
                        return json.load(f)
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            time.sleep(0.005)
        return None

    def settled(self, active, timeout=3.0):
        """Counters once `active` connections remain open and two readings agree (connections
        that the client closed may still be closing through the proxy)."""
        last = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.stats()
            if s is None:
                return last
            key = (s["connections"], s["closed"], s["bytes_received"], s["bytes_sent"])
            if s["active"] <= active and last is not None and key == last[0]:
                return s
            last = (key, s)
            time.sleep(0.02)
        return last[1] if last else None

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
