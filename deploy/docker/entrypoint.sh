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

# HGRIP_SKIP_MIGRATE=1 for extra replicas, so only one process runs Alembic at a time.
if [ "${HGRIP_SKIP_MIGRATE:-0}" != 1 ] && has_migrations; then
    hgrip migrate "$SERVICE"
fi
exec hgrip serve "$SERVICE" "$@"
