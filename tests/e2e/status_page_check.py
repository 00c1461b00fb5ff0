#!/usr/bin/env python3
"""Loads a page in headless Chromium over the DevTools protocol (--remote-debugging-pipe: JSON
messages on fds 3 and 4, no websocket, no puppeteer), waits until the page says it has drawn
itself (body[data-loaded]), and prints one JSON object: the backend ids in its table, console
errors and uncaught exceptions, failed requests, and the size of a PNG screenshot it saves.

usage: status_page_check.py URL SCREENSHOT [--authorization VALUE] [--width W] [--height H]
                            [--settle SECONDS]
Exit: 0 checked (the caller judges the JSON), 2 usage, 3 Chromium failed, 77 no Chromium."""

import argparse
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe"]


def find_chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def high(fd):
    """fd moved to a number of at least 10 (close-on-exec, like os.pipe's)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class cdp:
    """The DevTools protocol over Chromium's pipe: requests by id, events kept in order."""

    def __init__(self, argv):
        # Above 10, so that the shell's moves below never overwrite one of them.
        to_r, self.to_w = (high(fd) for fd in os.pipe())
        self.from_r, from_w = (high(fd) for fd in os.pipe())
        # Chromium wants the pipe on fds 3 (its input) and 4 (its output); bash moves them
        # there after subprocess has set up the child's other descriptors.
        wire = f'exec "$@" 3<&{to_r} 4>&{from_w} {to_r}<&- {from_w}>&-'
        self.proc = subprocess.Popen(["bash", "-c", wire, "bash", *argv], pass_fds=(to_r, from_w),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            import select
            r, _, _ = select.select([self.from_r], [], [], left)
            if not r:
                continue
            chunk = os.read(self.from_r, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed its pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=15.0):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, timeout):
        deadline = time.monotonic() + timeout
        for e in self.events:
            if e["method"] == method:
                return e
        while True:
            m = self._read(deadline)
            if "method" in m:
                self.events.append(m)
                if m["method"] == method:
                    return m

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("screenshot")
    p.add_argument("--authorization")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=900)
    p.add_argument("--settle", type=float, default=0.0,
                   help="seconds to wait after the first drawing (rates need two readings)")
    a = p.parse_args()
    chromium = find_chromium()
    if not chromium:
        print("SKIP: no chromium (tools/install_deps test installs Debian's)", file=sys.stderr)
        return 77
    profile = tempfile.mkdtemp(prefix="edge-chromium-")
    argv = [chromium, *FLAGS, f"--user-data-dir={profile}",
            f"--window-size={a.width},{a.height}", "about:blank"]
    b = cdp(argv)
    out = {"rows": [], "console": [], "exceptions": [], "failed_requests": [], "loaded": False}
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.call(f"{domain}.enable", session=s)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": a.width, "height": a.height, "deviceScaleFactor": 1, "mobile": False},
               session=s)
        if a.authorization:
            b.call("Network.setExtraHTTPHeaders",
                   {"headers": {"Authorization": a.authorization}}, session=s)
        b.call("Page.navigate", {"url": a.url}, session=s)
        b.wait_event("Page.loadEventFired", 15)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            r = b.call("Runtime.evaluate",
                       {"expression": "document.body && document.body.getAttribute('data-loaded')",
                        "returnByValue": True}, session=s)
            if r.get("result", {}).get("value") == "1":
                out["loaded"] = True
                break
            time.sleep(0.1)
        time.sleep(a.settle)
        rows = b.call("Runtime.evaluate", {
            "expression": "JSON.stringify(Array.from(document.querySelectorAll("
                          "'#backends tbody tr')).map(function (r) { return "
                          "[r.getAttribute('data-backend-id')].concat(Array.from(r.cells)"
                          ".map(function (c) { return c.textContent; })); }))",
            "returnByValue": True}, session=s)
        out["rows"] = json.loads(rows["result"]["value"])
        out["title"] = b.call("Runtime.evaluate", {"expression": "document.title",
                                                   "returnByValue": True},
                              session=s)["result"]["value"]
        shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                      session=s)
        png = base64.b64decode(shot["data"])
        with open(a.screenshot, "wb") as f:
            f.write(png)
        out["screenshot_bytes"] = len(png)
    except Exception as e:  # noqa: BLE001 - reported to the caller as data
        out["error"] = f"{type(e).__name__}: {e}"
        err = b.proc.stderr
        b.close()
        print(json.dumps(out))
        print((err.read() if err else b"").decode(errors="replace")[-2000:], file=sys.stderr)
        return 3
    for e in b.events:
        m, params = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            out["console"].append(" ".join(str(x.get("value", x.get("description", "")))
                                           for x in params.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            out["exceptions"].append(d.get("exception", {}).get("description", d.get("text", "")))
        elif m == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out["console"].append(params["entry"].get("text", ""))
        elif m == "Network.loadingFailed":
            out["failed_requests"].append(params.get("errorText", ""))
    b.close()
    shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
