#!/usr/bin/env bash
# The Debian package end to end, without changing the host: tools/package/build_deb builds it,
# its contents are checked (binaries, man pages, units, logrotate snippet, directories; no test or
# set-up script), it is extracted into a scratch root with dpkg -x, the packaged edgectl writes a
# routing.db and the packaged edgeproxy --check accepts it; the units pass systemd-analyze verify
# and the logrotate snippet rotates a log (each when the tool is installed); the man pages cover
# every flag and command; the maintainer scripts run against stub commands that record what they
# would do (the edgeproxy system user). Exits 77 without dpkg-deb or scdoc.
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

grep -qx edgeproxy <<<"$(dpkg-deb -f "$deb" Package)" || fail "Package field"
grep -q 'liburing2' <<<"$(dpkg-deb -f "$deb" Depends)" ||
  fail "Depends lacks liburing2: $(dpkg-deb -f "$deb" Depends)"
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for want in ./usr/sbin/edgeproxy ./usr/bin/edgectl ./usr/bin/edge-load \
            ./usr/share/man/man8/edgeproxy.8.gz ./usr/share/man/man8/edgectl.8.gz \
            ./usr/lib/systemd/system/edgeproxy.service ./etc/edgeproxy/edgeproxy.env \
            ./usr/lib/systemd/system/edgeproxy-sync@.service ./etc/logrotate.d/edgeproxy \
            ./var/lib/edgeproxy/; do
  grep -qx -- "$want" <<<"$contents" || fail "package lacks $want"
done
if grep -E 'install_deps|/test$|demo|build_deb|bench' <<<"$contents"; then
  fail "package holds a test, demo or set-up script"
fi

root=$work/root
dpkg -x "$deb" "$root"
# Here-strings, not pipes: grep -q stops reading at the first match, and under pipefail the
# writer's SIGPIPE would fail the test once a page outgrows the pipe's buffer.
grep -q '^\.TH "edgeproxy" "8"' <<<"$(zcat "$root/usr/share/man/man8/edgeproxy.8.gz")" ||
  fail "edgeproxy(8) is not a rendered man page"
grep -q 'backend add' <<<"$(zcat "$root/usr/share/man/man8/edgectl.8.gz")" || fail "edgectl(8) lacks its commands"
units=$root/usr/lib/systemd/system
grep -q '^ExecStart=/usr/sbin/edgeproxy --db /var/lib/edgeproxy/routing.db' \
  "$units/edgeproxy.service" || fail "unit's ExecStart"
# Under ProtectSystem=strict only these are writable: the access log's directory, and
# routing.db's (a WAL-mode reader creates its -shm file there).
grep -qx 'LogsDirectory=edgeproxy' "$units/edgeproxy.service" || fail "unit lacks LogsDirectory="
grep -qx 'StateDirectory=edgeproxy' "$units/edgeproxy.service" || fail "unit lacks StateDirectory="
# edgeproxy-sync@ by default feeds the file edgeproxy.service reads, and its fixed flags are
# variables (edgectl refuses a flag given twice, so SYNC_ARGS could not override them).
proxy_db=$(grep -oE '^ExecStart=.* --db [^ ]+' "$units/edgeproxy.service" | awk '{print $NF}')
grep -qE "^Environment=.*\bSYNC_DB=$proxy_db( |\$)" "$units/edgeproxy-sync@.service" ||
  fail "edgeproxy-sync@'s default SYNC_DB is not edgeproxy.service's --db $proxy_db"
sync_exec=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$units/edgeproxy-sync@.service")
for want in '--db ${SYNC_DB}' '--status ${SYNC_STATUS}' '--max-age ${SYNC_MAX_AGE}' '$SYNC_ARGS'; do
  grep -qF -- "$want" <<<"$sync_exec" || fail "edgeproxy-sync@'s ExecStart lacks $want: $sync_exec"
done

# systemd's own reading of the units, when systemd-analyze is here: ExecStart= and ExecReload=
# pointed at the extracted binaries (verify wants them to exist), man pages not looked up (they
# are not installed on this host). verify exits 0 on an unknown key or a bad value, so any
# output fails.
if command -v systemd-analyze >/dev/null; then
  verify=$work/units
  mkdir "$verify"
  for unit in "$units"/*.service; do
    sed -e "s#/usr/sbin/edgeproxy#$root/usr/sbin/edgeproxy#g" \
        -e "s#/usr/bin/edgectl#$root/usr/bin/edgectl#g" "$unit" > "$verify/$(basename "$unit")"
  done
  out=$(systemd-analyze verify --man=no "$verify/edgeproxy.service" \
          "$verify/edgeproxy-sync@main.service" 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
else
  echo "systemd-analyze not installed: units not verified"
fi

# The logrotate snippet rotates the access log and asks systemd to signal the proxy, when
# logrotate is here: run on a copy pointed at a scratch directory, as the user running this
# test (the edgeproxy user need not exist), with systemctl a stub that logs its arguments.
logrotate_conf=$root/etc/logrotate.d/edgeproxy
grep -q 'systemctl kill .*-s USR1 edgeproxy.service' "$logrotate_conf" ||
  fail "logrotate snippet does not send SIGUSR1 to edgeproxy.service"
if command -v logrotate >/dev/null; then
  logs=$work/log
  mkdir -m 0750 "$logs" "$work/lr-bin"
  echo "time=1 client=x" > "$logs/access.log"
  printf '#!/bin/sh\necho "systemctl $*" >> %s/systemctl-calls\n' "$work" > "$work/lr-bin/systemctl"
  chmod +x "$work/lr-bin/systemctl"
  sed -e "s#/var/log/edgeproxy/#$logs/#" -e "s#^\(\s*su\) .*#\1 $(id -un) $(id -gn)#" \
    "$logrotate_conf" > "$work/logrotate.conf"
  out=$(PATH=$work/lr-bin:$PATH logrotate --force -s "$work/logrotate.state" \
          "$work/logrotate.conf" 2>&1) || fail "logrotate: $out"
  [ -f "$logs/access.log.1" ] && [ ! -e "$logs/access.log" ] ||
    fail "logrotate did not move access.log: $(ls "$logs")"
  grep -q '^systemctl kill .*-s USR1 edgeproxy.service$' "$work/systemctl-calls" ||
    fail "postrotate did not signal the proxy: $(cat "$work/systemctl-calls" 2>/dev/null)"
else
  echo "logrotate not installed: its snippet not run"
fi

# The packaged binaries, from the scratch root: a routing.db by edgectl, checked by edgeproxy.
db=$work/routing.db
"$root/usr/bin/edgectl" init "$db" >/dev/null
"$root/usr/bin/edgectl" backend add "$db" eu-1 --region eu --ip 127.0.0.1 --port 8080 >/dev/null
out=$("$root/usr/sbin/edgeproxy" --check --db "$db" --listen 127.0.0.1:0 --metrics off 2>&1) ||
  fail "packaged edgeproxy --check failed: $out"
grep -q 'configuration ok' <<<"$out" || fail "--check said: $out"
grep -q '^edgeproxy ' <<<"$("$root/usr/sbin/edgeproxy" --version)" || fail "--version"
# Every flag the packaged binary knows is in its man page.
man_text=$(zcat "$root/usr/share/man/man8/edgeproxy.8.gz")
for flag in $("$root/usr/sbin/edgeproxy" --help | grep -oE '^  --[a-z-]+'); do
  grep -qF -- "\\fB$flag\\fR" <<<"$man_text" || fail "edgeproxy(8) does not document $flag"
done
# Every command `edgectl --help` lists is in edgectl(8): the lowercase words that open a line
# indented by two ("backend add DB ID …" gives "backend add"; "wg genkey | pubkey" gives both),
# each found in bold there, alone or followed by its arguments.
ctl_man=$(zcat "$root/usr/share/man/man8/edgectl.8.gz")
ctl_commands=$("$root/usr/bin/edgectl" --help | awk '
  /^  [a-z]/ {
    cmd = ""
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^[a-z][a-z-]*$/) { cmd = cmd (cmd == "" ? "" : " ") $i; continue }
      if ($i == "|" && i < NF && $(i + 1) ~ /^[a-z][a-z-]*$/ && cmd ~ / /) {
        print cmd; sub(/ [^ ]*$/, "", cmd); cmd = cmd " " $(i + 1); i++; continue
      }
      break
    }
    if (cmd != "") print cmd
  }' | sort -u)
[ "$(wc -l <<<"$ctl_commands")" -ge 20 ] || fail "edgectl --help lists too few commands: $ctl_commands"
while read -r cmd; do
  grep -qE -- "\\\\fB$cmd(\\\\fR| )" <<<"$ctl_man" || fail "edgectl(8) does not document '$cmd'"
done <<<"$ctl_commands"

# The maintainer scripts against stubs that log instead of acting (PATH holds nothing else).
dpkg-deb -e "$deb" "$work/control"
# Files under /etc are conffiles: an operator's edits survive an upgrade.
for conf in /etc/edgeproxy/edgeproxy.env /etc/logrotate.d/edgeproxy; do
  grep -qx "$conf" "$work/control/conffiles" || fail "$conf is not a conffile: $(cat "$work/control/conffiles")"
done
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
