"""Rounds of samples → medians, spreads and ratios to HAProxy → a Markdown table and JSON.
A figure with any failed run shows FAILED with the reason instead of a number."""

import statistics

ORDER = ["direct", "edgeproxy", "haproxy", "nginx"]
LABEL = {"direct": "direct", "edgeproxy": "edgeproxy", "haproxy": "HAProxy", "nginx": "nginx"}
SATURATED = 0.9  # a side using ≥ 90 % of its CPU over the run is what limited it


def _fmt(v, unit):
    if v is None:
        return "—"
    if unit == "/s":
        return f"{v:,.0f}/s"
    if unit == "s":
        return f"{v:.3f} s"
    if unit == "GB/s":
        return f"{v:.2f} GB/s"
    if unit == "us":
        return f"{v:,.0f} µs"
    if unit == "B":
        return f"{v:,.0f} B"
    if unit == "ms":
        return f"{v:.2f} ms"
    if unit == "MB":
        return f"{v / 1e6:.2f} MB"
    if unit == "%":
        return f"{100 * v:.0f}%"
    if unit == "per":
        return f"{v:.3f}" if abs(v) < 1 else f"{v:.2f}"
    return f"{v:.3g}"


def _stats(vals):
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals),
            "values": vals}


class figures:
    """Extracts per-round values of each figure from the raw samples."""

    def __init__(self, results, rounds):
        self.r, self.rounds = results, rounds

    def samples(self, proxy, test):
        return self.r.get(proxy, {}).get(test, [])

    def series(self, proxy, test, key):
        """(values per round, failure reasons) of one key; a failed round gives no value."""
        vals, fails = [], []
        for s in self.samples(proxy, test):
            if not s.get("ok"):
                fails.append(s.get("reason", "failed"))
            elif s.get(key) is not None:
                vals.append(s[key])
        return vals, fails

    def added(self, proxy, test, key):
        """Per round: proxy's latency minus direct's, from runs of the same round."""
        vals, fails = [], []
        mine, base = self.samples(proxy, test), self.samples("direct", test)
        for a, b in zip(mine, base):
            if not a.get("ok") or not b.get("ok"):
                fails.append(a.get("reason") or b.get("reason") or "failed")
            else:
                vals.append(a[key] - b[key])
        return vals, fails


# The two workloads of new connections sit on adjacent rows: "echo" (test rate: the client
# closes first) and "backend closes first" (test close: an HTTP/1.0-style reply, then the
# backend's FIN).
CLOSE = ", backend closes first"
ROWS = [
    # (section, label, test, key, unit, proxies, derived)
    ("rate", "connection rate, flat out", "rate", "per_second", "/s", ORDER, None),
    ("close", "connection rate" + CLOSE, "close", "per_second", "/s", ORDER, None),
    ("rate", "proxy CPU per 10,000 connections", "rate", "cpu_per_10k", "s", ORDER[1:], None),
    ("close", "proxy CPU per 10,000 connections" + CLOSE, "close", "cpu_per_10k", "s", ORDER[1:],
     None),
    ("rate", "proxy CPU utilisation", "rate", "proxy_share", "%", ORDER[1:], None),
    ("close", "proxy CPU utilisation" + CLOSE, "close", "proxy_share", "%", ORDER[1:], None),
    ("rate", "IPIs per connection (whole machine)", "rate", "ipis_per_unit", "per", ORDER, None),
    ("close", "IPIs per connection" + CLOSE, "close", "ipis_per_unit", "per", ORDER, None),
    ("rate", "proxy wake-ups per connection", "rate", "wakeups_per_unit", "per", ORDER[1:], None),
    ("close", "proxy wake-ups per connection" + CLOSE, "close", "wakeups_per_unit", "per",
     ORDER[1:], None),
    ("rate", "proxy preemptions per connection", "rate", "preemptions_per_unit", "per",
     ORDER[1:], None),
    ("close", "proxy preemptions per connection" + CLOSE, "close", "preemptions_per_unit", "per",
     ORDER[1:], None),
    ("rate", "CPU: load side · proxy", "rate", None, "sat", ORDER, None),
    ("close", "CPU: load side · proxy" + CLOSE, "close", None, "sat", ORDER, None),
    ("bulk", "bulk throughput, 8 streams (up + down)", "bulk", "GBps", "GB/s", ORDER, None),
    ("bulk", "proxy CPU per GB relayed", "bulk", "cpu_per_GB", "s", ORDER[1:], None),
    ("bulk", "CPU: load side · proxy", "bulk", None, "sat", ORDER, None),
    ("bulk", "bulk throughput, 1 stream (up + down)", "bulk1", "GBps", "GB/s", ORDER, None),
    ("bulk", "proxy CPU per GB relayed, 1 stream", "bulk1", "cpu_per_GB", "s", ORDER[1:], None),
    ("bulk", "CPU: load side · proxy", "bulk1", None, "sat", ORDER, None),
    ("rr", "request p50, proxy on its own CPU", "rr_split", "p50", "us", ORDER, None),
    ("rr", "request p99, proxy on its own CPU", "rr_split", "p99", "us", ORDER, None),
    ("rr", "request p50, no proxy, backend on the proxy's CPU", "rr_far", "p50", "us",
     ["direct"], None),
    ("rr", "request p99, no proxy, backend on the proxy's CPU", "rr_far", "p99", "us",
     ["direct"], None),
    ("rr", "added p50 over direct, own CPU", "rr_split", "p50", "us", ORDER[1:], "added"),
    ("rr", "added p99 over direct, own CPU", "rr_split", "p99", "us", ORDER[1:], "added"),
    ("rr", "request p50, all on one CPU", "rr_one", "p50", "us", ORDER, None),
    ("rr", "request p99, all on one CPU", "rr_one", "p99", "us", ORDER, None),
    ("rr", "added p50 over direct, one CPU", "rr_one", "p50", "us", ORDER[1:], "added"),
    ("rr", "added p99 over direct, one CPU", "rr_one", "p99", "us", ORDER[1:], "added"),
    ("rr", "proxy CPU per 10,000 requests, own CPU", "rr_split", "cpu_per_10k", "s", ORDER[1:], None),
    ("rr", "IPIs per request, own CPU (whole machine)", "rr_split", "ipis_per_unit", "per", ORDER,
     None),
    ("rr", "proxy wake-ups per request, own CPU", "rr_split", "wakeups_per_unit", "per",
     ORDER[1:], None),
    ("hold", "RSS per idle proxied connection", "hold", "rss_per_conn", "B", ORDER[1:], None),
    ("cold", "exec → first proxied connection (median)", "cold", "median_s", "ms", ORDER[1:], None),
]


def _cell(fig, proxy, test, key, unit, derived):
    if derived == "added":
        vals, fails = fig.added(proxy, test, key)
    else:
        vals, fails = fig.series(proxy, test, key)
    if unit == "ms":
        vals = [v * 1e3 for v in vals]
    st = _stats(vals)
    out = {"stats": st, "failed": len(fails), "reasons": sorted(set(fails))}
    if fails:
        n = len(fails) + len(vals)
        out["text"] = f"**FAILED {len(fails)}/{n}**: {out['reasons'][0].split(';')[0][:70]}"
    elif st is None:
        out["text"] = "—"
    elif st["n"] == 1:
        out["text"] = _fmt(st["median"], unit)
    else:
        out["text"] = f"{_fmt(st['median'], unit)} ({_fmt(st['min'], unit)}–{_fmt(st['max'], unit)})"
    return out


def _saturation(fig, proxy, test):
    failed = [s for s in fig.samples(proxy, test) if not s.get("ok")]
    if failed:
        return {"text": f"**FAILED {len(failed)}/{len(fig.samples(proxy, test))}**"}
    samples = [s for s in fig.samples(proxy, test) if s.get("load_share") is not None]
    if not samples:
        return {"text": "—"}
    load = statistics.median(s["load_share"] for s in samples)
    prox = [s["proxy_share"] for s in samples if s.get("proxy_share") is not None]
    prox = statistics.median(prox) if prox else None
    side = []
    if load >= SATURATED:
        side.append("load")
    if prox is not None and prox >= SATURATED:
        side.append("proxy")
    verdict = "+".join(side) if side else "neither"
    others = {}
    for s in samples:
        for cpu, v in s.get("others_share", {}).items():
            others.setdefault(cpu, []).append(v)
    others = {c: statistics.median(v) for c, v in others.items()}
    text = f"{100 * load:.0f}%" + (f" · {100 * prox:.0f}%" if prox is not None else "")
    text += f" → {verdict}"
    if others:
        text += f" (others {100 * statistics.mean(others.values()):.0f}%)"
    return {"text": text, "load_share": load, "proxy_share": prox, "saturated": verdict,
            "others_share": others}


def _ratio(fig, proxy, test, key, derived, base="haproxy"):
    """Median and range of the per-round ratio proxy ÷ base (paired by round)."""
    get = fig.added if derived == "added" else fig.series
    a = fig.samples(proxy, test)
    b = fig.samples(base, test)
    if not a or not b:
        return None
    va, fa = get(proxy, test, key)
    vb, fb = get(base, test, key)
    if fa or fb or len(va) != len(vb):
        return {"text": "n/a (failed runs)", "stats": None}
    rs = [x / y for x, y in zip(va, vb) if y > 0]
    if len(rs) != len(va):
        # Noise made some round's base ≤ 0 (an added latency below direct's): ratio of medians.
        ma, mb = statistics.median(va), statistics.median(vb)
        if mb <= 0:
            return {"text": "n/a (HAProxy's ≤ 0)", "stats": None}
        return {"text": f"{ma / mb:.2f}× (of medians)", "stats": {"median": ma / mb, "n": 1}}
    st = _stats(rs)
    text = f"{st['median']:.2f}×" + (f" ({st['min']:.2f}–{st['max']:.2f})" if st["n"] > 1 else "")
    return {"text": text, "stats": st}


def build(results, rounds, binaries):
    """All rows: cells per proxy and ratios to HAProxy, ready for table() and JSON."""
    fig = figures(results, rounds)
    rows = []
    for section, label, test, key, unit, proxies, derived in ROWS:
        row = {"section": section, "label": label, "test": test, "key": key, "unit": unit,
               "cells": {}, "ratios": {}}
        for p in ORDER:
            if p not in proxies or p not in results:
                row["cells"][p] = {"text": ""}
            elif unit == "sat":
                row["cells"][p] = _saturation(fig, p, test)
            else:
                row["cells"][p] = _cell(fig, p, test, key, unit, derived)
        if unit != "sat" and "haproxy" in proxies:
            for p in ("edgeproxy", "nginx"):
                if p in results and "haproxy" in results:
                    row["ratios"][p] = _ratio(fig, p, test, key, derived)
        rows.append(row)
    size_row = {"section": "size", "label": "stripped binary", "unit": "MB", "cells": {},
                "ratios": {}}
    for p in ORDER:
        b = binaries.get(p)
        size_row["cells"][p] = {"text": _fmt(b["stripped"], "MB") if b else "",
                                "stats": {"median": b["stripped"]} if b else None}
    if binaries.get("edgeproxy") and binaries.get("haproxy"):
        r = binaries["edgeproxy"]["stripped"] / binaries["haproxy"]["stripped"]
        size_row["ratios"]["edgeproxy"] = {"text": f"{r:.2f}×", "stats": {"median": r}}
    if binaries.get("nginx") and binaries.get("haproxy"):
        r = binaries["nginx"]["stripped"] / binaries["haproxy"]["stripped"]
        size_row["ratios"]["nginx"] = {"text": f"{r:.2f}×", "stats": {"median": r}}
    rows.append(size_row)
    return rows


def table(rows, present):
    """The Markdown table: one row per figure, one column per target, then the ratios."""
    cols = [p for p in ORDER if p in present]
    head = ["figure"] + [LABEL[p] for p in cols]
    ratio_cols = [p for p in ("edgeproxy", "nginx") if p in present and "haproxy" in present]
    head += [f"{LABEL[p]} ÷ HAProxy" for p in ratio_cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["label"]] + [row["cells"].get(p, {}).get("text", "") for p in cols]
        for p in ratio_cols:
            r = row["ratios"].get(p)
            cells.append(r["text"] if r else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _row(rows, label, test=None):
    return next(r for r in rows if r["label"] == label and (test is None or r["test"] == test))


def targets(rows):
    """The engine issue's targets, each with its goal, the measurement and a verdict."""
    out = []

    def ratio_target(name, label, goal, test=None):
        row = _row(rows, label, test)
        r = row["ratios"].get("edgeproxy")
        ep, hp = row["cells"].get("edgeproxy", {}), row["cells"].get("haproxy", {})
        if not r or not r.get("stats"):
            out.append({"target": name, "goal": f"≤ {goal}× HAProxy", "measured": "n/a",
                        "verdict": "not measured (failed runs)"})
            return
        m = r["stats"]["median"]
        out.append({"target": name, "goal": f"≤ {goal}× HAProxy",
                    "measured": f"{r['text']} (edgeproxy {ep.get('text')}, HAProxy {hp.get('text')})",
                    "value": m, "verdict": "met" if m <= goal else "not met"})

    def abs_target(name, label, goal_text, ok, unit):
        cell = _row(rows, label)["cells"].get("edgeproxy", {})
        st = cell.get("stats")
        if not st or cell.get("failed"):
            out.append({"target": name, "goal": goal_text, "measured": cell.get("text", "n/a"),
                        "verdict": "not measured (failed runs)"})
            return
        v = st["median"]
        out.append({"target": name, "goal": goal_text, "measured": cell["text"], "value": v,
                    "verdict": "met" if ok(v) else "not met"})

    ratio_target("proxy CPU per new connection", "proxy CPU per 10,000 connections", 0.7)
    ratio_target("proxy CPU per new connection, backend closes first (issue 17)",
                 "proxy CPU per 10,000 connections" + CLOSE, 0.7)
    ratio_target("IPIs per connection, backend closes first (issue 17)",
                 "IPIs per connection" + CLOSE, 1.0)
    ratio_target("CPU per GB relayed, 8 parallel streams", "proxy CPU per GB relayed", 0.8, "bulk")
    ratio_target("CPU per GB relayed, 1 stream (issue 17)", "proxy CPU per GB relayed, 1 stream",
                 0.8, "bulk1")
    ratio_target("added p50 latency, kept-alive request/response (proxy on its own CPU)",
                 "added p50 over direct, own CPU", 0.7)
    abs_target("proxy RSS per idle proxied connection", "RSS per idle proxied connection",
               "≤ 1 KiB", lambda v: v <= 1024, "B")
    abs_target("exec to accepting (first proxied connection)",
               "exec → first proxied connection (median)", "≤ 5 ms", lambda v: v <= 5.0, "ms")
    abs_target("stripped binary", "stripped binary", "< 2 MB (2,000,000 bytes)",
               lambda v: v < 2_000_000, "MB")
    return out


def targets_table(ts):
    lines = ["| target (engine issue) | goal | edgeproxy, this run | verdict |", "|---|---|---|---|"]
    for t in ts:
        lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | {t['verdict']} |")
    return "\n".join(lines)
