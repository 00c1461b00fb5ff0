"""Helpers for the routing-feed benchmarks (bench/etcd_feed, bench/reload_stall --via-etcd): a
throw-away etcd cluster on loopback ports and bulk writes of backend rows through etcd's v3 JSON
gateway, in the /edgeproxy/v1/ layout `edgectl sync` reads."""

import base64
import json
import os
import random
import socket
import subprocess
import time
import urllib.request

PREFIX = "/edgeproxy/v1/"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`members` etcd members with data under `work`, stopped by stop()."""

    def __init__(self, work, members=3):
        self.procs = []
        ports = [(free_port(), free_port()) for _ in range(members)]
        initial = ",".join(f"m{i}=http://127.0.0.1:{p}" for i, (_, p) in enumerate(ports))
        self.endpoints = ",".join(f"http://127.0.0.1:{c}" for c, _ in ports)
        self.url = f"http://127.0.0.1:{ports[0][0]}"
        for i, (c, p) in enumerate(ports):
            log = open(os.path.join(work, f"etcd-m{i}.log"), "w")
            self.procs.append(subprocess.Popen(
                ["etcd", "--name", f"m{i}", "--data-dir", os.path.join(work, f"etcd-m{i}"),
                 "--listen-client-urls", f"http://127.0.0.1:{c}",
                 "--advertise-client-urls", f"http://127.0.0.1:{c}",
                 "--listen-peer-urls", f"http://127.0.0.1:{p}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{p}",
                 "--initial-cluster", initial, "--initial-cluster-state", "new",
                 "--heartbeat-interval", "50", "--election-timeout", "500",
                 "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn"],
                stdout=log, stderr=log))
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                self.call("/v3/kv/range", {"key": b64("/health-probe")})
                return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("etcd did not start")

    def call(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def put(self, key, value):
        return int(self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)})["header"]["revision"])

    def put_many(self, items, per_txn=100):
        for i in range(0, len(items), per_txn):
            ops = [{"request_put": {"key": b64(k), "value": b64(v)}} for k, v in items[i:i + per_txn]]
            self.call("/v3/kv/txn", {"success": ops})

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


def b64(s):
    return base64.b64encode(s.encode()).decode()


def backend_value(port, region="eu", weight=1):
    return json.dumps({"region": region, "wg_ip": "127.0.0.1", "port": port, "weight": weight,
                       "soft_limit": 100})


def fill(cluster, n, live_port):
    """N backends: 'live' in region eu on 127.0.0.1:live_port (the POPs' region: always preferred),
    the rest spread over 50 other regions on loopback ports nothing listens on (never chosen)."""
    items = [(PREFIX + "backends/live", backend_value(live_port))]
    items += [(PREFIX + f"backends/b{i}", backend_value(20000 + i % 20000, f"r{i % 50}", 1 + i % 5))
              for i in range(1, n)]
    cluster.put_many(items)


def stream(cluster, n, interval, seconds):
    """Re-weights one random backend every `interval` seconds for `seconds`: a steady stream of
    etcd updates. Returns how many puts were made."""
    end, puts = time.time() + seconds, 0
    rnd = random.Random(7)
    while time.time() < end:
        i = rnd.randrange(1, n)
        cluster.put(PREFIX + f"backends/b{i}", backend_value(20000 + i % 20000, f"r{i % 50}", rnd.randrange(1, 6)))
        puts += 1
        time.sleep(interval)
    return puts
