# Sourced by the terminal hook scripts: reads what rcs-interop passes to a profile hook.
# Sets action, role, msisdn, domain, local_addr and local_port, and defines var/need
# (RCS_<ROLE>_<KEY>, as the harness names it) and mc_addr (the message center's address).
action=${RCS_ACTION:-${1:?usage: terminal.sh register|send-pager|stop}}
role=${RCS_ROLE:?RCS_ROLE names the role this terminal plays}

var() {
  local name
  name="RCS_$(printf '%s_%s' "$1" "$2" | tr '[:lower:]' '[:upper:]' | tr -c 'A-Z0-9_\n' '_')"
  printf '%s' "${!name:-}"
}
need() {
  local v
  v=$(var "$1" "$2")
  [ -n "$v" ] || { echo "terminal.sh: RCS_${1^^}_${2^^} is not set" >&2; exit 2; }
  printf '%s' "$v"
}

msisdn=$(need "$role" msisdn)
domain=$(var "$role" domain); domain=${domain:-ims.mnc000.mcc460.3gppnetwork.org}
local_addr=$(need "$role" addr)
local_port=${local_addr##*:}
