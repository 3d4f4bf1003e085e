#!/usr/bin/env bash
# container-tools.sh — what building and running HGRIP's containers needs on a Debian 12 host
# (`make container-tools`; run as root). Idempotent: a second run changes nothing.
#   * Debian's podman with runc (the default crun does not start containers on these machines),
#     netavark/aardvark-dns (containers on one network find each other by name) and iptables, which
#     netavark runs (podman only suggests it: without it every build step fails "netavark: No such
#     file or directory"), debootstrap (the local base image, deploy/scripts/build-base-image.sh);
#   * podman-compose from PyPI in its own virtualenv .venv-containers: Debian's 1.0.3 ignores
#     `depends_on: {condition: service_healthy}`, which the stack's start order relies on;
#   * /etc/containers/containers.conf: runtime runc, and ulimits (the default nofile/nproc of these
#     machines is too high for runc to set inside a container).
set -euo pipefail
cd "$(dirname "$0")/../.."

PODMAN_COMPOSE_VERSION=1.5.0
VENV=.venv-containers
CONF=/etc/containers/containers.conf
PACKAGES=(podman runc netavark aardvark-dns iptables slirp4netns uidmap fuse-overlayfs catatonit debootstrap)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# containers.conf: the two settings in their TOML tables, added only when absent.
mkdir -p "$(dirname "$CONF")"
touch "$CONF"
ensure_setting() {   # TABLE KEY LINE
    local table=$1 key=$2 line=$3
    grep -qE "^[[:space:]]*${key}[[:space:]]*=" "$CONF" && return 0
    if grep -qE "^\[${table}\]" "$CONF"; then
        sed -i "/^\[${table}\]/a ${line}" "$CONF"
    else
        printf '\n[%s]\n%s\n' "$table" "$line" >>"$CONF"
    fi
}
ensure_setting engine runtime 'runtime = "runc"'
ensure_setting containers default_ulimits 'default_ulimits = ["nofile=8192:8192", "nproc=8192:8192"]'

if ! "$VENV/bin/podman-compose" version 2>/dev/null | grep -q "$PODMAN_COMPOSE_VERSION"; then
    test -x "$VENV/bin/python" || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "podman-compose==$PODMAN_COMPOSE_VERSION"
fi

podman --version
"$VENV/bin/podman-compose" version 2>/dev/null | grep -i 'podman-compose' || true
