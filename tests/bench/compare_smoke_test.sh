#!/usr/bin/env bash
# bench/compare --smoke end to end: every target, both workloads of new connections (echo, where
# the client closes first; HTTP/1.0-style, where the backend answers and closes first), every
# figure, with byte checks at the backends. Then the report must show both workloads side by side
# with a number for every proxy: connection rate, CPU per 10k connections, CPU utilisation, IPIs
# and wake-ups per connection. Exits 77 (skip) without HAProxy or nginx's stream module
# (tools/install_deps bench installs them).
set -euo pipefail
out=$EDGE_BUILD_DIR/tests/bench/compare-smoke
rm -rf "$out"
status=0
python3 "$EDGE_SOURCE_DIR/bench/compare" --smoke --no-install --no-build --out "$out" \
  > "$out.md" 2> "$out.log" || status=$?
if [ "$status" -eq 77 ]; then
  tail -1 "$out.log"; exit 77
fi
if [ "$status" -ne 0 ]; then
  echo "bench/compare --smoke exited $status"; cat "$out.log"; exit 1
fi
python3 - "$out/results.json" "$out/results.md" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
md = open(sys.argv[2]).read()
rows = {(r["label"], r.get("test")): r for r in j["rows"]}
bad = []
for test, suffix in (("rate", ""), ("close", ", backend closes first")):
    for label, who in (("connection rate" + (", flat out" if not suffix else suffix), "all"),
                       ("proxy CPU per 10,000 connections" + suffix, "proxies"),
                       ("proxy CPU utilisation" + suffix, "proxies"),
                       ("IPIs per connection" + (" (whole machine)" if not suffix else suffix), "all"),
                       ("proxy wake-ups per connection" + suffix, "proxies")):
        row = rows.get((label, test))
        if row is None:
            bad.append(f"no row '{label}'"); continue
        if f"| {label} |" not in md:
            bad.append(f"results.md lacks '{label}'")
        for p in (["direct"] if who == "all" else []) + ["edgeproxy", "haproxy", "nginx"]:
            st = row["cells"][p].get("stats")
            if not st or st.get("median") is None:
                bad.append(f"{label}: no figure for {p} ({row['cells'][p].get('text')})")
        if "edgeproxy" not in row["ratios"]:
            bad.append(f"{label}: no ratio to HAProxy")
closes = [s for s in j["samples"]["edgeproxy"]["close"] if s.get("ok")]
if not closes or closes[0]["client"]["settings"].get("recv") != "eof":
    bad.append("the backend-closes-first runs did not read to EOF")
print("\n".join(bad) if bad else "both workloads reported for every proxy")
sys.exit(1 if bad else 0)
PY
