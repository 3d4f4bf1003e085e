#!/bin/sh
# PID 1 of every service image: migrate this service's database (when it has one), then become the service.
set -eu
: "${SERVICE:?SERVICE must name the service this image runs}"

has_migrations() {
    python - "$SERVICE" <<'PY'
import sys
from importlib.metadata import entry_points
sys.exit(0 if any(e.name == sys.argv[1] for e in entry_points(group="hgrip.migrations")) else 1)
PY
}

# While the migration runs this shell is PID 1, and PID 1 gets no default action for SIGTERM: without
# the trap a pod stopped mid-migration would wait out its grace period and be killed. The signal is
# passed to the migration (Alembic's transaction rolls back) and the service is not started.
migrate() {
    hgrip migrate "$SERVICE" &
    child=$!
    stopping=""
    trap 'stopping=1; kill -TERM "$child" 2>/dev/null || true' TERM INT
    status=0
    wait "$child" || status=$?
    while kill -0 "$child" 2>/dev/null; do  # wait returns early when a trapped signal arrives
        status=0
        wait "$child" || status=$?
    done
    trap - TERM INT
    if [ -n "$stopping" ]; then
        echo "entrypoint: stopped during the migration of $SERVICE; not starting it" >&2
        exit 143
    fi
    return "$status"
}

# HGRIP_SKIP_MIGRATE=1 for extra replicas, so only one process runs Alembic at a time.
if [ "${HGRIP_SKIP_MIGRATE:-0}" != 1 ] && has_migrations; then
    migrate
fi
exec hgrip serve "$SERVICE" "$@"
