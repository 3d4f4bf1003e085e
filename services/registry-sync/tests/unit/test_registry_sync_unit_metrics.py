"""The HGRG gauges are the console's summary (app/views.summary_view) as Prometheus samples."""
from datetime import UTC, datetime, timedelta

from hgrip_registry_sync.adapters.metrics import hgrg_samples
from hgrip_registry_sync.app.views import summary_view

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def samples(summary):
    return {(s.name, s.labels["queue"], s.labels.get("state")): s.value
            for s in hgrg_samples(summary_view(summary, NOW), "registry-sync")}


def test_pending_and_failing_pushes_and_the_oldest_ones_age_per_queue():
    found = samples({"counts": {("number", "pending"): 3, ("number", "failing"): 1, ("number", "synced"): 40,
                                ("owner_change", "pending"): 2},
                     "oldest_open_at": {"number": NOW - timedelta(minutes=7),
                                        "owner_change": NOW - timedelta(seconds=30)},
                     "last_synced_at": {}})
    assert found == {
        ("hgrip_hgrg_pushes", "number", "pending"): 3, ("hgrip_hgrg_pushes", "number", "failing"): 1,
        ("hgrip_hgrg_oldest_pending_seconds", "number", None): 420,
        ("hgrip_hgrg_pushes", "owner_change", "pending"): 2, ("hgrip_hgrg_pushes", "owner_change", "failing"): 0,
        ("hgrip_hgrg_oldest_pending_seconds", "owner_change", None): 30}


def test_nothing_open_is_zero_not_missing():
    found = samples({"counts": {("number", "synced"): 5}, "oldest_open_at": {}, "last_synced_at": {}})
    assert set(found.values()) == {0} and len(found) == 6
