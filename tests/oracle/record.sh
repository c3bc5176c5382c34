#!/usr/bin/env bash
# Re-record the oracle fixtures against a real Docker daemon (tests/oracle/README.md).
#
#   sudo tests/oracle/record.sh                 every group: fixtures/<group>.json
#   sudo tests/oracle/record.sh dns publish     only these groups
#   sudo tests/oracle/record.sh --case dns/alias-two-containers   one case, JSON to stdout
#   tests/oracle/record.sh --check              parse and safety-check the cases, run nothing
#
# Starts the daemon with the shared docker-oracle set-up (../shared/tools/docker-oracle,
# or $ORACLE_TOOLS), runs recorder.py, and tears everything down afterwards unless
# ORACLE_KEEP=1 (then run teardown.sh yourself).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export ORACLE_TOOLS=${ORACLE_TOOLS:-$(cd "$REPO/.." && pwd)/shared/tools/docker-oracle}

for a in "$@"; do
    if [ "$a" = --check ]; then exec python3 "$HERE/recorder.py" "$@"; fi
done
if [ "$(id -u)" != 0 ]; then echo "record.sh: must run as root" >&2; exit 1; fi

bash "$ORACLE_TOOLS/setup.sh"
status=0
python3 "$HERE/recorder.py" "$@" || status=$?
if [ "${ORACLE_KEEP:-0}" != 1 ]; then
    # the outside namespace and veth are named orc-*: teardown.sh removes them too
    bash "$ORACLE_TOOLS/teardown.sh"
fi
exit $status
