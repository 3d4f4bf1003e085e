"""HGRG synchronisation as Prometheus gauges, from the same summary the operator's console shows
(``app/status.summary``): pushes pending and failing, and the age of the oldest open push, per queue
(``number``: backup numbers; ``owner_change``). Read at each scrape (entrypoints/metrics_provider.py)."""
from collections.abc import Mapping
from typing import Any

from hgrip_kernel.metrics import Sample

QUEUES = {"number": "numbers", "owner_change": "owner_changes"}   # label -> the summary's key


def hgrg_samples(summary: Mapping[str, Any], service: str) -> list[Sample]:
    samples = []
    for queue, key in QUEUES.items():
        counts = summary[key]
        for state in ("pending", "failing"):
            samples.append(Sample("hgrip_hgrg_pushes", "HGRG pushes not yet accepted, by queue and state "
                                  "(failing: the last attempt failed)",
                                  {"service": service, "queue": queue, "state": state}, counts[state]))
        samples.append(Sample("hgrip_hgrg_oldest_pending_seconds", "Age of the oldest push not yet accepted "
                              "by HGRG (0 when none)", {"service": service, "queue": queue},
                              counts["oldest_open_age_seconds"] or 0))
    return samples
