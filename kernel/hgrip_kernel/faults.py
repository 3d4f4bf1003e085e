"""Named fault-injection points for the fault tests (inactive unless HGRIP_FAULT names one).

``HGRIP_FAULT=crash:after_commit`` ends the process right after a unit of work commits and
before anything is published — the window the transactional outbox exists for.
"""
import os


def point(name: str) -> None:
    wanted = os.environ.get("HGRIP_FAULT", "")
    if wanted == f"crash:{name}":
        os._exit(70)
