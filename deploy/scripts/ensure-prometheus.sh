#!/usr/bin/env bash
# Make sure the metrics tests' Prometheus is installed: Debian's `prometheus` package (the server,
# /usr/bin/prometheus, and /usr/bin/promtool). tests/metrics/ run their own `prometheus` with a
# temporary configuration, data directory and port; the package's own service is never used (where
# the package starts it, e.g. under systemd, it is left as the system has it). Installs only when
# missing (`apt-get update` once, then one install), quietly through step.sh. Needs root, or sudo
# without a password. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

command -v prometheus >/dev/null && command -v promtool >/dev/null && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "the metrics tests need Prometheus: run  sudo apt-get install -y prometheus  and try again" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "the metrics tests need Prometheus (Debian's prometheus package) and this machine has no apt-get" >&2
  exit 1
fi
# Another install may hold dpkg's lock for a while (make test and make run on one machine): wait for it.
wait_lock=(-o DPkg::Lock::Timeout=300)
"$here/step.sh" "updating the Debian package lists (apt-get update)" "${as_root[@]}" apt-get "${wait_lock[@]}" update
"$here/step.sh" "installing prometheus (apt-get)" \
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y --no-install-recommends prometheus
