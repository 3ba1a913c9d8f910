#!/usr/bin/env bash
# Writes the db_text subscriber tables Kamailio's htables load (interop/kamailio/kamailio.cfg):
#   impi: IMPI -> plaintext password    impu: number -> IMPI
# Default: the harness's built-in RCS subscribers (+8613800000001..20, password secret-<number>).
# Non-RCS numbers (+86139...) are deliberately not provisioned: the message center answers 404.
# Usage: provision.sh DIR [COUNT]
set -euo pipefail
dir=${1:?usage: provision.sh DIR [COUNT]}
count=${2:-20}
mkdir -p "$dir"
cols='key_name(string) key_type(int) value_type(int) key_value(string) expires(int)'
{
  echo "$cols"
  for n in $(seq 1 "$count"); do
    num=$(printf '8613800%06d' "$n")
    echo "${num}@ims.mnc000.mcc460.3gppnetwork.org:0:0:secret-${num}:0"
  done
} > "$dir/impi"
{
  echo "$cols"
  for n in $(seq 1 "$count"); do
    num=$(printf '8613800%06d' "$n")
    echo "+${num}:0:0:${num}@ims.mnc000.mcc460.3gppnetwork.org:0"
  done
} > "$dir/impu"
printf 'table_name(string) table_version(int)\nimpi:2\nimpu:2\n' > "$dir/version"
