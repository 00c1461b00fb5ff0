#!/usr/bin/env bash
# The parts' one direction of dependency (docs/ARCHITECTURE.md), checked on the includes
# themselves: a part may include its own headers and those of the parts listed for it, nothing
# else of the project. A new arrow against the direction fails here, naming the file and line.
set -euo pipefail
cd "${EDGE_SOURCE_DIR:?}"

fail=0
# part  → the project folders it may include (besides its own)
check() {
  local part=$1; shift
  local allowed="$part $*"
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
    ok=0
    for a in $allowed; do
      [[ $inc == $a/* ]] && ok=1
    done
    # Generated headers and system-like includes are not project parts.
    [[ $inc == */* ]] || ok=1
    if [ $ok -eq 0 ]; then
      echo "layering: $line  ($part may not include $inc)"
      fail=1
    fi
  done < <(grep -rn '#include "' "$part" --include='*.hpp' --include='*.cpp' || true)
}

check base
check wg/crypto
check wg wg/crypto base
check geo base
check routing geo base
check engine/uring base
check engine/codec base
check engine/netdev engine/codec base
check engine/tunnel engine/host engine/uring engine/codec wg base
check engine/host engine/uring engine/codec routing geo wg base
check engine/tcp engine/host engine/uring engine/codec routing geo base
check engine/access_log engine/host engine/uring engine/codec geo base
check engine/control engine/access_log engine/host engine/uring engine/codec engine/netdev routing geo wg base

# wg/ must not reach wg/crypto's insides other than through its public headers is not checked
# here; the engine's own subparts must not include each other sideways:
if grep -rn '#include "engine/control/' engine/tcp; then fail=1; fi
if grep -rn '#include "engine/tcp/' engine/control engine/access_log; then fail=1; fi
if grep -rn '#include "engine/access_log/' engine/tcp engine/host; then fail=1; fi
if grep -rln '#include "engine/' routing geo wg base 2>/dev/null; then fail=1; fi

[ $fail -eq 0 ] && echo "layering: every include follows the parts' direction"
exit $fail
