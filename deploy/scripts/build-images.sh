#!/usr/bin/env bash
# build-images.sh [IMAGE…] — build HGRIP's images with podman, as `make test-deploy` uses them:
#   hgrip/{identity,projects,backups,verification,registry-sync,gateway}:dev, hgrip/standins:dev
#   and, for hosts that cannot pull the official ones, localhost/hgrip/{postgres,rabbitmq,redis}:dev
#   from Debian's packages. With names, only those (e.g. `build-images.sh gateway standins`).
# Every image is FROM debian:bookworm-slim, made locally first (build-base-image.sh) unless present.
# pip reads the host's index settings and CA bundle as build secrets: no layer and no history keeps them.
# The gateway image carries web/dist: `make web` before (make test-deploy does).
set -euo pipefail
cd "$(dirname "$0")/../.."

SERVICES=(identity projects backups verification registry-sync gateway)
INFRA=(postgres rabbitmq redis)
BASE=${BASE:-localhost/debian:bookworm-slim}
TAG=${TAG:-dev}
wanted=("$@")
((${#wanted[@]})) || wanted=("${INFRA[@]}" standins "${SERVICES[@]}")

[ "$BASE" != localhost/debian:bookworm-slim ] || deploy/scripts/build-base-image.sh

secrets=$(mktemp -d)
trap 'rm -rf "$secrets"' EXIT
# The host's pip index settings (pip.conf, PIP_* variables) as one file; local file:// indexes and
# find-links are left out (they are not inside the build). The CA bundle pip trusts, likewise.
python3 - "$secrets/pip.conf" <<'PY'
import configparser, os, subprocess, sys
def get(key, env):
    if os.environ.get(env):
        return os.environ[env]
    done = subprocess.run([sys.executable, "-m", "pip", "config", "get", key], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""
remote = lambda value: " ".join(u for u in value.split() if u.startswith(("http://", "https://")))
conf = configparser.ConfigParser()
conf["global"] = {}
index = remote(get("global.index-url", "PIP_INDEX_URL"))
extra = remote(get("global.extra-index-url", "PIP_EXTRA_INDEX_URL"))
trusted = get("global.trusted-host", "PIP_TRUSTED_HOST")
for key, value in (("index-url", index), ("extra-index-url", extra), ("trusted-host", trusted)):
    if value:
        conf["global"][key] = value
with open(sys.argv[1], "w") as out:
    conf.write(out)
PY
cert=${PIP_CERT:-$(python3 -m pip config get global.cert 2>/dev/null || true)}
if [ -n "$cert" ] && [ -r "$cert" ]; then cp "$cert" "$secrets/cert.pem"; else : >"$secrets/cert.pem"; fi
pip_secrets=(--secret "id=pipconf,src=$secrets/pip.conf" --secret "id=pipcert,src=$secrets/cert.pem")

build() {   # NAME DOCKERFILE IGNOREFILE [ARGS…]
    local name=$1 file=$2 ignore=$3
    shift 3
    local start=$SECONDS
    podman build --quiet --format docker --build-arg "BASE=$BASE" -f "$file" --ignorefile "$ignore" "$@" -t "$name" . >/dev/null
    printf '%-34s %s  (%ss)\n' "$name" "$(podman image inspect --format '{{.Size}}' "$name" \
        | awk '{printf "%.0f MB", $1 / 1e6}')" $((SECONDS - start))
}

for image in "${wanted[@]}"; do
    case $image in
        postgres|rabbitmq|redis)
            build "localhost/hgrip/$image:$TAG" "deploy/docker/Dockerfile.$image" deploy/docker/infra.dockerignore ;;
        standins)
            build "hgrip/standins:$TAG" deploy/docker/Dockerfile.standins \
                deploy/docker/Dockerfile.standins.dockerignore "${pip_secrets[@]}" ;;
        gateway)
            test -f web/dist/index.html || { echo "web/dist is not built: run \`make web\` first" >&2; exit 1; }
            build "hgrip/gateway:$TAG" deploy/docker/Dockerfile.service deploy/docker/Dockerfile.service.dockerignore \
                "${pip_secrets[@]}" --build-arg SERVICE=gateway --target gateway ;;
        identity|projects|backups|verification|registry-sync)
            build "hgrip/$image:$TAG" deploy/docker/Dockerfile.service deploy/docker/Dockerfile.service.dockerignore \
                "${pip_secrets[@]}" --build-arg "SERVICE=$image" ;;
        *) echo "unknown image $image" >&2; exit 2 ;;
    esac
done
