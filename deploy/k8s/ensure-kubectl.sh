#!/usr/bin/env bash
# Make sure `kubectl kustomize` works, for tests/deploy (they render deploy/k8s as an operator would).
# A kubectl already on the machine is used as it is (the manifests use only fields that the kustomize
# inside kubectl 1.20 already knew, so any newer one renders them too); otherwise Debian's
# `kubernetes-client` is installed (kubectl 1.20 and its kustomize; apt-get update once, quietly through
# step.sh). Needs root, or sudo without a password. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")/../scripts" && pwd)

if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "the manifest tests need kubectl: run  sudo apt-get install -y kubernetes-client  and try again" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "the manifest tests need kubectl (Debian's kubernetes-client) and this machine has no apt-get" >&2
  exit 1
fi
"$here/step.sh" "updating the Debian package lists (apt-get update)" "${as_root[@]}" apt-get update
"$here/step.sh" "installing kubernetes-client (kubectl, apt-get)" \
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y kubernetes-client
