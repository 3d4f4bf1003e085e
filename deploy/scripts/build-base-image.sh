#!/usr/bin/env bash
# build-base-image.sh — a local `debian:bookworm-slim` for podman, where no registry can be pulled from:
# debootstrap's minbase variant from the Debian mirror this host's apt uses, imported as
# localhost/debian:bookworm-slim (tagged debian:bookworm-slim too, so `FROM debian:bookworm-slim` and
# `ARG BASE=debian:bookworm-slim` resolve to it). Cached: nothing is done when the image is there
# (FORCE=1 rebuilds). Run as root, after `make container-tools`.
set -euo pipefail

IMAGE=${IMAGE:-localhost/debian:bookworm-slim}
SUITE=bookworm
if [ "${FORCE:-0}" != 1 ] && podman image exists "$IMAGE"; then
    echo "$IMAGE is there (FORCE=1 to rebuild)"
    exit 0
fi

# The mirror apt is configured with (deb822 or one-line sources), so the image comes from the same place.
mirror=${DEBIAN_MIRROR:-$(grep -hoE '(URIs:|^deb)[[:space:]]+[a-z]+://[^[:space:]]+/debian\b' \
                           /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
                         | awk 'NR == 1 {print $2}' || true)}
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/hgrip-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
echo "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# Slim as the official image: no apt lists, caches, docs, man pages or locales but English.
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
SOURCES
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/en*
DPKG
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
APT
find "$rootfs/usr/share/doc" -mindepth 2 -not -name copyright -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/{man,info}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
       "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/* "$rootfs"/tmp/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name 'en*' -exec rm -rf {} + 2>/dev/null || true

tar --numeric-owner -C "$rootfs" -c . \
    | podman import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$IMAGE" >/dev/null
podman tag "$IMAGE" debian:bookworm-slim
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$IMAGE"
