#!/usr/bin/env bash
# bench/compare must not report a fast figure for a proxy that did not forward: run it against
# answers_itself_proxy.sh (correct bytes at the client, none at the backends) and expect exit 1
# with every edgeproxy figure marked FAILED and the reason naming the backend's byte count.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$EDGE_BUILD_DIR/tests/bench/compare-fake
rm -rf "$out"
status=0
python3 "$EDGE_SOURCE_DIR/bench/compare" --smoke --no-install --no-build --only edgeproxy \
  --edgeproxy "$here/answers_itself_proxy.sh" --out "$out" > "$out.md" 2> "$out.log" || status=$?
if [ "$status" -ne 1 ]; then
  echo "expected exit 1, got $status"; cat "$out.log"; exit 1
fi
python3 - "$out/results.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
rows = {r["label"]: r for r in j["rows"]}
bad = []
for label in ("connection rate, flat out", "proxy CPU per 10,000 connections",
              "connection rate, backend closes first", "IPIs per connection, backend closes first",
              "proxy CPU per GB relayed", "request p50, proxy on its own CPU",
              "RSS per idle proxied connection", "exec → first proxied connection (median)"):
    cell = rows[label]["cells"]["edgeproxy"]
    if "FAILED" not in cell["text"]:
        bad.append(f"{label}: {cell['text']}")
if "backend saw 0/0 bytes" not in rows["connection rate, flat out"]["cells"]["edgeproxy"]["text"]:
    bad.append("rate failure does not name the backend's byte count")
if j["failed_runs"] == 0:
    bad.append("failed_runs is 0")
print("\n".join(bad) if bad else "every figure of the non-forwarding proxy is FAILED")
sys.exit(1 if bad else 0)
PY
