#!/usr/bin/env bash
# Runs the wg/ datagram fuzzer (tests/fuzz/wg_datagram_fuzz.cpp) from a scratch corpus that the
# harness seeds itself with real messages of its tunnel pair (WG_FUZZ_SEED_DIR).
#   run_wg_fuzz.sh FUZZER [libFuzzer flags...]
set -euo pipefail
fuzzer=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
# A crashing input is kept in the current directory (libFuzzer prints its name).
WG_FUZZ_SEED_DIR=$work/corpus TMPDIR=$work "$fuzzer" "$@" "$work/corpus"
