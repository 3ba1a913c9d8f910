#!/usr/bin/env bash
# Runs Kamailio as the message center under test, in the foreground, on 127.0.0.1:PORT (UDP and TCP;
# the TCP port also takes MSRP, as a relay: see kamailio.cfg).
# Usage: run.sh PORT WORKDIR
# WORKDIR receives the subscriber tables (db/) and the PID file (kamailio.pid). The process execs
# into kamailio, so the PID of this script is Kamailio's main process: stop it with SIGTERM.
set -euo pipefail
port=${1:?usage: run.sh PORT WORKDIR}
work=$(cd "${2:?usage: run.sh PORT WORKDIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
"$here/provision.sh" "$work/db"
exec kamailio -f "$here/kamailio.cfg" -DD -E -w "$work" -P "$work/kamailio.pid" \
  -l "udp:127.0.0.1:$port" -l "tcp:127.0.0.1:$port" \
  -A "DBURL=\"text://$work/db\""
