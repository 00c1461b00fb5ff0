#!/usr/bin/env bash
# wg/crypto must run on any x86-64: only the SIMD libraries may contain AVX code, and they must
# not export weak (COMDAT) code that the linker could pick for the rest of the program.
#   simd_isolation_test.sh <libedge_crypto.a> <simd lib>...
set -euo pipefail
main=$1
shift
status=0
if ! command -v objdump >/dev/null || ! command -v nm >/dev/null; then
  echo "SKIP: binutils (objdump, nm) not installed"
  exit 77
fi
# Objects of the main library other than the SIMD ones (linked into it whole). Meson makes thin
# archives, whose members are paths to the objects; a regular archive is unpacked first.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
members() {
  local lib=$1
  if ar t "$lib" | head -1 | xargs -r test -f; then
    ar t "$lib"
  else
    mkdir -p "$tmp/$(basename "$lib")"
    (cd "$tmp/$(basename "$lib")" && ar x "$(realpath "$OLDPWD/$lib")" && ls -d "$PWD"/*.o)
  fi
}
simd_names=$(for lib in "$@"; do members "$lib"; done | xargs -n1 basename)
for o in $(members "$main"); do
  name=$(basename "$o")
  if grep -qx "$name" <<<"$simd_names"; then continue; fi
  if objdump -d "$o" | grep -qE '%[yz]mm'; then
    echo "FAIL: $name (built without -m flags) contains AVX/AVX-512 instructions"
    status=1
  fi
done
for lib in "$@"; do
  # Weak code (nm's W) is what the linker could pick; weak objects (V: data such as the function
  # typeinfo that clang's -fsanitize=function emits) hold no instructions.
  weak=$(nm -C "$lib" | grep -E ' W ' | grep -v 'DW.ref.__gxx_personality_v0' || true)
  if [ -n "$weak" ]; then
    echo "FAIL: $lib exports weak symbols the linker could pick for non-SIMD callers:"
    echo "$weak"
    status=1
  fi
done
[ $status -eq 0 ] && echo "ok: AVX code only in $*, no weak symbols there"
exit $status
