"""A service process's CPU priority (its Unix niceness), set by ``hgrip serve`` before it starts.

Where every process shares a machine's cores (``make run``, one host), the work a user waits for —
the gateway, the services answering RPCs — should not queue behind work nobody waits for.
registry-sync's push of numbers to HGRG is such work: it runs at niceness 19 by default, so when the
cores are saturated it yields, falls a little behind and then takes the numbers that waited in bigger
batches, each batch costing about what one number did (docs/performance.md, row (c)). On an idle
core it runs at once, as before. In a cluster each pod has its own CPU share and this changes nothing.
"""
import os
from collections.abc import Mapping

from .config import env_key

DEFAULT_NICENESS = {"registry-sync": 19}
MAX_NICENESS = 19


def configured_niceness(service: str, environ: Mapping[str, str]) -> int:
    """``HGRIP_<SERVICE>_NICE`` (0–19), else the service's default (0 for all but registry-sync)."""
    name = f"HGRIP_{env_key(service)}_NICE"
    raw = (environ.get(name) or "").strip()
    if not raw:
        return DEFAULT_NICENESS.get(service, 0)
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_NICENESS:
        raise ValueError(f"{name} must be a whole number from 0 to {MAX_NICENESS}, not {raw!r}")
    return value


def lower_priority(service: str, environ: Mapping[str, str]) -> int:
    """Lower this process to its configured niceness (never raise it: an unprivileged process may not,
    and one started under ``nice`` keeps its own); the niceness it now runs at. Called before any
    thread starts: on Linux the niceness is per thread, and threads inherit it."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    wanted = configured_niceness(service, environ)
    if wanted > current:
        os.setpriority(os.PRIO_PROCESS, 0, wanted)
    return os.getpriority(os.PRIO_PROCESS, 0)
