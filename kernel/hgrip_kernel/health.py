"""The answer every service gives to ``health()``: reported, never raised, so the gateway can tell."""
from sqlalchemy import text

from .logging import get_logger

log = get_logger("hgrip.health")


def health_report(service: str, store) -> dict:
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.error("health_database_failed", service=service, error=repr(exc))
        return {"service": service, "ok": False, "database": "unavailable"}
    return {"service": service, "ok": True, "database": "ok"}
