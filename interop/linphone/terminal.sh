#!/usr/bin/env bash
# linphonec (Debian package linphone-cli) as a real terminal under test, driven by an rcs-interop
# profile hook (cases/profiles/linphonec.yaml). The action comes from RCS_ACTION (or $1):
#   register    start linphonec with a generated linphonerc on RCS_<ROLE>_ADDR and wait until it
#               is registered (digest with the IMPI as user id)
#   send-pager  `chat` to RCS_PARAM_TO with RCS_PARAM_TEXT, and wait for its final state
#   stop        stop linphonec
# linphonec reads its commands from a file followed with `tail -f`; the whole group runs under
# `timeout RCS_LINPHONE_LIFETIME` (default 120 s) and is stopped by the PID in its state folder.
# Same environment as interop/sipp/terminal.sh (see interop/README.md); RCS_LINPHONE_CONTACT_PARAMS
# adds feature tags to its Contact (none by default: linphonec registers none of its own).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../hook-env.sh
. "$here/../hook-env.sh"
port=$local_port
state=${RCS_LINPHONE_STATE:-${TMPDIR:-/tmp}/rcs-linphone-$port}
mkdir -p "$state"

# Waits up to $2 tenths of a second for `grep -a -q "$1"` to match in the file $3.
wait_for() {
  local i
  for i in $(seq "$2"); do
    grep -a -q -- "$1" "$3" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

stop() {
  if [ -s "$state/pid" ]; then
    local pid i
    pid=$(cat "$state/pid")
    rm -f "$state/pid"
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

case $action in
  register)
    stop
    mc_role=$(env | sed -n 's/^RCS_\([A-Z0-9_]*\)_KIND=message-center$/\1/p' | head -1)
    mc=${RCS_LINPHONE_MC:-$(var "$mc_role" udp)}
    [ -n "$mc" ] || { echo "terminal.sh: no UDP message-center address in the environment" >&2; exit 2; }
    password=${RCS_PARAM_PASSWORD:-$(need "$role" password)}
    rm -rf "$state/home"
    mkdir -p "$state/home/.local/share/linphone"
    sed -e "s|@PORT@|$port|g" -e "s|@RTP_PORT@|$((port + 2))|g" -e "s|@VIDEO_PORT@|$((port + 4))|g" \
      -e "s|@MC@|$mc|g" -e "s|@MSISDN@|$msisdn|g" -e "s|@DOMAIN@|$domain|g" \
      -e "s|@IMPI@|$(need "$role" impi)|g" -e "s|@PASSWORD@|$password|g" \
      -e "s|@EXPIRES@|${RCS_PARAM_EXPIRES:-600}|g" \
      -e "s|@CONTACT_PARAMS@|${RCS_LINPHONE_CONTACT_PARAMS:-}|g" \
      "$here/linphonerc.in" >"$state/linphonerc"
    : >"$state/commands"
    rm -f "$state/out" "$state/log"
    HOME=$state/home setsid timeout "${RCS_LINPHONE_LIFETIME:-120}" sh -c \
      'tail -n +1 -f "$1/commands" | linphonec -c "$1/linphonerc" -d 6 -l "$1/log"' sh "$state" \
      >"$state/out" 2>&1 </dev/null &
    echo $! >"$state/pid"
    for _ in $(seq 50); do
      echo "status register" >>"$state/commands"
      wait_for "registered, identity=" 2 "$state/out" && break
    done
    wait_for "registered, identity=" 1 "$state/out" || {
      grep -a 'REGISTER\|SIP/2.0 [0-9]' "$state/log" | tail -5 >&2; exit 1; }
    echo "contact=<sip:$msisdn@127.0.0.1:$port;transport=udp>${RCS_LINPHONE_CONTACT_PARAMS:-}"
    ;;
  send-pager)
    to_role=${RCS_PARAM_TO:?RCS_PARAM_TO names the recipient role}
    to=$(var "$to_role" msisdn); to=${to:-$to_role}
    text=${RCS_PARAM_TEXT:-hello from linphonec}
    before=$(grep -a -c 'moving from InProgress to' "$state/log" || true)
    echo "chat sip:$to@$domain $text" >>"$state/commands"
    for _ in $(seq 100); do
      [ "$(grep -a -c 'moving from InProgress to' "$state/log" || true)" -gt "$before" ] && break
      sleep 0.1
    done
    echo "sent.text=$text"
    ;;
  stop) stop ;;
  *) echo "terminal.sh: unknown action $action" >&2; exit 2 ;;
esac
