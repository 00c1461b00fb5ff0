#!/usr/bin/env bash
# Runs a libFuzzer harness from a scratch corpus: libFuzzer adds new inputs to its first
# directory only, here a temporary one, so seed directories (read, never written) stay as they
# are. Each --seeds DIR adds a seed directory when it exists (tests/fuzz/corpus/NAME for the
# fuzzer NAME_fuzz; for the GeoIP fuzzer, databases `edgectl geo build` makes at run time and the
# MaxMind test databases of ../shared); a harness may also write seeds
# of its own into $FUZZ_CORPUS_DIR at start-up (the wg fuzzer writes real messages of its tunnel
# pair there, beside the hand-shaped ones of corpus/wg_datagram).
#   run_fuzz.sh FUZZER [--seeds DIR]... [libFuzzer flags...]
set -euo pipefail
fuzzer=$1
shift
seeds=()
while [ "${1:-}" = --seeds ]; do
  if [ -d "$2" ]; then seeds+=("$2"); else echo "note: $2 is absent: fuzzing without its seeds"; fi
  shift 2
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
# A crashing or leaking input is kept in the current directory (libFuzzer prints its name).
LSAN_OPTIONS=suppressions=$(cd "$(dirname "$0")/.." && pwd)/lsan.supp FUZZ_CORPUS_DIR=$work/corpus \
  TMPDIR=$work "$fuzzer" "$@" "$work/corpus" "${seeds[@]}"
