#!/usr/bin/env bash
# A scripted third-party terminal made of SIPp scenarios, driven by an rcs-interop profile hook
# (`actions:` in cases/profiles/sipp.yaml). The action comes from RCS_ACTION (or $1):
#   register    REGISTER with MD5 digest (register.xml), then answer OPTIONS and MESSAGE on the
#               same address for RCS_SIPP_LIFETIME seconds (uas.xml, SIPp in the background)
#   send-pager  a pager-mode CPIM chat to RCS_PARAM_TO (pager.xml)
#   stop        stop the background answerer of this terminal
# Values (set by the harness; see interop/README.md): RCS_ROLE names the role this terminal plays;
# RCS_<ROLE>_ADDR (where it listens: 127.0.0.1:PORT), _MSISDN, _IMPI, _PASSWORD, _DOMAIN; the
# message center is the role whose RCS_<ROLE>_KIND is message-center (its _ADDR, _UDP, _TCP);
# RCS_PARAM_* are the action's parameters. Prints key=value lines for the harness.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../hook-env.sh
. "$here/../hook-env.sh"
mc_role=$(env | sed -n 's/^RCS_\([A-Z0-9_]*\)_KIND=message-center$/\1/p' | head -1)
mc_udp=${RCS_SIPP_MC:-$(var "$mc_role" udp)}
mc_tcp=$(var "$mc_role" tcp)
if [ -n "$mc_udp" ]; then mc=$mc_udp; transport=u1; else mc=$mc_tcp; transport=t1; fi
[ -n "$mc" ] || { echo "terminal.sh: no message-center address in the environment" >&2; exit 2; }
state=${RCS_SIPP_STATE:-${TMPDIR:-/tmp}/rcs-sipp-$local_port}
mkdir -p "$state"

# The feature tags of protocols.md 2.2-2.3, encoded as in a Contact.
icsi=urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm
iari=urn%3Aurn-7%3A3gpp-application.ims.iari.rcs
instance=$(printf '%s' "$msisdn" | md5sum | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-4\3-8\4-\5/')
contact_params=";+sip.instance=\"<urn:uuid:$instance>\"\
;+g.3gpp.icsi-ref=\"$icsi.session,$icsi.msg,$icsi.largemsg,$icsi.filetransfer\"\
;+g.3gpp.iari-ref=\"$iari.fthttp,$iari.geopush,$iari.chatbot,$iari.chatbot.sa\"\
;+g.gsma.rcs.cpm.pager-large;+g.gsma.rcs.botversion=\"#=1,#=2\""
# The same tags as the harness compares them: name=value atoms, decoded, sorted, "; "-joined.
tags() {
  local s
  for s in session msg largemsg filetransfer; do
    echo "+g.3gpp.icsi-ref=urn:urn-7:3gpp-service.ims.icsi.oma.cpm.$s"
  done
  for s in fthttp geopush chatbot chatbot.sa; do
    echo "+g.3gpp.iari-ref=urn:urn-7:3gpp-application.ims.iari.rcs.$s"
  done
  printf '%s\n' +g.gsma.rcs.cpm.pager-large '+g.gsma.rcs.botversion=#=1' '+g.gsma.rcs.botversion=#=2'
}

stop_answerer() {
  if [ -s "$state/uas.pid" ]; then
    local pid i
    pid=$(cat "$state/uas.pid")
    rm -f "$state/uas.pid"
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# The answerer keeps the registered address; SIPp bounds its own life with -timeout.
start_answerer() {
  sipp -nostdin -bg -i 127.0.0.1 -bind_local -t "$transport" -p "$local_port" \
    -sf "$here/uas.xml" -timeout "${RCS_SIPP_LIFETIME:-60}s" \
    -key impu_user "$msisdn" -key contact_params "$contact_params" \
    >"$state/uas.out" 2>&1 </dev/null || true  # the launcher exits 99 in background mode
  sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' "$state/uas.out" | head -1 >"$state/uas.pid"
  [ -s "$state/uas.pid" ] || { cat "$state/uas.out" >&2; exit 1; }
}

sipp_run() {
  sipp -nostdin -i 127.0.0.1 -bind_local -t "$transport" -m 1 \
    -timeout "${RCS_SIPP_TIMEOUT:-10}s" -timeout_error \
    -key impu_user "$msisdn" -key domain "$domain" "$@" "$mc" \
    >"$state/sipp.out" 2>&1 || { tail -5 "$state/sipp.out" >&2; return 1; }
}

case $action in
  register)
    stop_answerer
    password=${RCS_PARAM_PASSWORD:-$(need "$role" password)}
    sipp_run -sf "$here/register.xml" -p "$local_port" \
      -au "$(need "$role" impi)" -ap "$password" \
      -key expires "${RCS_PARAM_EXPIRES:-600000}" -key contact_params "$contact_params"
    start_answerer
    echo "contact=<sip:$msisdn@127.0.0.1:$local_port>$contact_params"
    echo "tags=$(tags | LC_ALL=C sort | paste -sd ';' | sed 's/;/; /g')"
    ;;
  send-pager)
    to_role=${RCS_PARAM_TO:?RCS_PARAM_TO names the recipient role}
    to=$(var "$to_role" msisdn); to=${to:-$to_role}
    text=${RCS_PARAM_TEXT:-hello from SIPp}
    conversation=$(cat /proc/sys/kernel/random/uuid)
    contribution=$(cat /proc/sys/kernel/random/uuid)
    message_id=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    # Sent from the registered address, as a terminal does: the answerer pauses meanwhile.
    answering=$([ -s "$state/uas.pid" ] && echo yes || true)
    stop_answerer
    sipp_run -sf "$here/pager.xml" -p "$local_port" \
      -key to_user "$to" -key conversation_id "$conversation" \
      -key contribution_id "$contribution" -key message_id "$message_id" \
      -key date_time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      -key disposition "${RCS_PARAM_DISPOSITION:-positive-delivery, display}" \
      -key text "$text" -key text_length "$(printf '%s' "$text" | wc -c)"
    [ -z "$answering" ] || start_answerer
    echo "sent.Conversation-ID=$conversation"
    echo "sent.Contribution-ID=$contribution"
    echo "sent.imdn.Message-ID=$message_id"
    echo "sent.text=$text"
    ;;
  stop) stop_answerer ;;
  *) echo "terminal.sh: unknown action $action" >&2; exit 2 ;;
esac
