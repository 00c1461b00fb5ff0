#!/usr/bin/env bash
# Runs the GeoIP database fuzzer (tests/fuzz/mmdb_fuzz.cpp) from a scratch corpus seeded with the
# MaxMind test databases in shared/data/geoip, which it reads and never writes: libFuzzer adds new
# inputs to its first directory only, here a temporary one.
#   run_mmdb_fuzz.sh FUZZER [libFuzzer flags...]
set -euo pipefail
fuzzer=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
seeds=()
shared=${EDGE_SHARED_DIR:-}/data/geoip
if [ -d "$shared" ]; then
  seeds+=("$shared")
else
  echo "note: $shared is absent: fuzzing without seed databases"
fi
# A crashing or leaking input is kept in the current directory (libFuzzer prints its name).
LSAN_OPTIONS=suppressions=$(cd "$(dirname "$0")/.." && pwd)/lsan.supp TMPDIR=$work \
  "$fuzzer" "$@" "$work/corpus" "${seeds[@]}"
