#!/usr/bin/env bash
# The Debian package end to end, without changing the host: tools/package/build_deb builds it,
# its contents are checked (binaries, man pages, unit, directories; no test or set-up script),
# it is extracted into a scratch root with dpkg -x, the packaged edgectl writes a routing.db and
# the packaged edgeproxy --check accepts it; the maintainer scripts run against stub commands
# that record what they would do (the edgeproxy system user). Exits 77 without dpkg-deb or scdoc.
set -euo pipefail
for tool in dpkg-deb scdoc; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (tools/install_deps build)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# An unoptimised build (the package's layout and scripts are what is tested here, and -O0
# compiles in half the time); kept in the build directory so a re-run rebuilds only changes.
deb=$("$EDGE_SOURCE_DIR/tools/package/build_deb" --build-dir "$EDGE_BUILD_DIR/package-build" \
        --buildtype debug --out "$work" | tail -1)
[ -f "$deb" ] || fail "no package built"

dpkg-deb -f "$deb" Package | grep -qx edgeproxy || fail "Package field"
dpkg-deb -f "$deb" Depends | grep -q 'liburing2' || fail "Depends lacks liburing2: $(dpkg-deb -f "$deb" Depends)"
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for want in ./usr/sbin/edgeproxy ./usr/bin/edgectl ./usr/bin/edge-load \
            ./usr/share/man/man8/edgeproxy.8.gz ./usr/share/man/man8/edgectl.8.gz \
            ./usr/lib/systemd/system/edgeproxy.service ./etc/edgeproxy/edgeproxy.env \
            ./var/lib/edgeproxy/; do
  grep -qx -- "$want" <<<"$contents" || fail "package lacks $want"
done
if grep -E 'install_deps|/test$|demo|build_deb|bench' <<<"$contents"; then
  fail "package holds a test, demo or set-up script"
fi

root=$work/root
dpkg -x "$deb" "$root"
zcat "$root/usr/share/man/man8/edgeproxy.8.gz" | grep -q '^\.TH "edgeproxy" "8"' || fail "edgeproxy(8) is not a rendered man page"
zcat "$root/usr/share/man/man8/edgectl.8.gz" | grep -q 'backend add' || fail "edgectl(8) lacks its commands"
grep -q '^ExecStart=/usr/sbin/edgeproxy --db /var/lib/edgeproxy/routing.db' \
  "$root/usr/lib/systemd/system/edgeproxy.service" || fail "unit's ExecStart"

# The packaged binaries, from the scratch root: a routing.db by edgectl, checked by edgeproxy.
db=$work/routing.db
"$root/usr/bin/edgectl" init "$db" >/dev/null
"$root/usr/bin/edgectl" backend add "$db" eu-1 --region eu --ip 127.0.0.1 --port 8080 >/dev/null
out=$("$root/usr/sbin/edgeproxy" --check --db "$db" --listen 127.0.0.1:0 --metrics off 2>&1) ||
  fail "packaged edgeproxy --check failed: $out"
grep -q 'configuration ok' <<<"$out" || fail "--check said: $out"
"$root/usr/sbin/edgeproxy" --version | grep -q '^edgeproxy ' || fail "--version"
# Every flag the packaged binary knows is in its man page.
man_text=$(zcat "$root/usr/share/man/man8/edgeproxy.8.gz")
for flag in $("$root/usr/sbin/edgeproxy" --help | grep -oE '^  --[a-z-]+'); do
  grep -qF -- "\\fB$flag\\fR" <<<"$man_text" || fail "edgeproxy(8) does not document $flag"
done

# The maintainer scripts against stubs that log instead of acting (PATH holds nothing else).
dpkg-deb -e "$deb" "$work/control"
stubs=$work/stubs
mkdir "$stubs"
for cmd in useradd userdel chown chmod rm systemctl; do
  printf '#!/bin/sh\necho "%s $*" >> %s/calls\n' "$cmd" "$work" > "$stubs/$cmd"
done
printf '#!/bin/sh\nexit 2\n' > "$stubs/getent"  # no such user yet
chmod +x "$stubs"/*
PATH=$stubs /bin/sh "$work/control/postinst" configure
grep -q '^useradd --system .* edgeproxy$' "$work/calls" || fail "postinst does not create the user: $(cat "$work/calls")"
grep -q '^chown edgeproxy:edgeproxy /var/lib/edgeproxy$' "$work/calls" || fail "postinst chown"
: > "$work/calls"
PATH=$stubs /bin/sh "$work/control/postrm" remove
if grep -qE '^(rm|userdel) ' "$work/calls"; then
  fail "postrm remove deleted state or the user: $(cat "$work/calls")"
fi
PATH=$stubs /bin/sh "$work/control/postrm" purge
grep -q '^rm -rf /var/lib/edgeproxy$' "$work/calls" || fail "postrm purge keeps the state directory"
echo "package ok: $(basename "$deb")"
