#!/usr/bin/env bash
# A stand-in for edgeproxy that answers clients itself (an echo server on its --listen address)
# instead of forwarding to the backends: the client sees correct bytes, the backends see none.
set -euo pipefail
listen=""
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen=$2; shift 2 ;;
    --version) echo "answers-itself 0"; exit 0 ;;
    *) shift ;;
  esac
done
exec "$EDGE_LOAD_BIN" serve --mode echo --listen "$listen" --no-progress
