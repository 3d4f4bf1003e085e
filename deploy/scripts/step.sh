#!/usr/bin/env bash
# step.sh LABEL COMMAND [ARG…] — one quiet install step of `make run` / `make test`.
# The command's output goes to the install log ($HGRIP_INSTALL_LOG, default var/log/install.log); the
# terminal gets one line, "LABEL…  done (12s)". On failure: the log's last 40 lines, its path, the exit code.
set -uo pipefail

log=${HGRIP_INSTALL_LOG:-var/log/install.log}
export NO_COLOR=1   # a log file, not a terminal: no colour codes from npm, vite, rolldown
label=$1
shift
mkdir -p "$(dirname "$log")"
printf '=== %s  %s\n$ %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$label" "$*" >>"$log"
printf '%s…' "$label"
start=$SECONDS
"$@" </dev/null >>"$log" 2>&1
code=$?
if [ "$code" -eq 0 ]; then
  printf '  done (%ss)\n' $((SECONDS - start))
  exit 0
fi
printf '  FAILED (exit %s)\n' "$code"
{
  echo "---- the last 40 lines of $log ----"
  tail -n 40 "$log"
  echo "---- ${label} failed; its whole output is in $log ----"
} >&2
exit "$code"
