"""Use cases of a backup's life (app/lifecycle.py) with in-memory fakes: create, update, submit,
history, HGRG filings, known projects."""
import uuid
from datetime import UTC, datetime

import pytest

from hgrip_backups.app import files, lifecycle
from hgrip_backups.domain.backup_number import beijing_day
from hgrip_kernel.envelope import Envelope
from hgrip_kernel.errors import Conflict, DomainError, NotFound

OWNER_ID = "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10"
PROJECT_ID = "7d1e0c3a-9b2f-4e5d-8c6b-1a2b3c4d5e6f"
OTHER = "6b1d9f3f-4c2e-4d7f-8a8b-1e3c5f7a9b21"
VALUES = {"name": "三例样本（父母子）的测序数据对外提供", "categories": ["targeted"]}


def create(app, **changes):
    return lifecycle.create_backup(app.ports, app.request, OWNER_ID, PROJECT_ID, {**VALUES, **changes})


def test_create_records_the_backup_and_answers_its_view(app):
    view = create(app)
    assert (view["name"], view["categories"], view["status"], view["backup_number"]) == (
        VALUES["name"], ["targeted"], "draft", None)
    assert (view["project_id"], view["files"], view["filings"], view["file_count"]) == (PROJECT_ID, [], [], 0)
    [event] = app.events()
    assert (event.event_type, event.actor, event.stream_id) == ("BackupCreated", OWNER_ID, f"backup-{view['id']}")
    assert event.data["pi_email"] == "data-admin@big.ac.cn" and event.data["unit_code"] == "U1"
    assert app.log.events() == ["backup_created"]
    assert lifecycle.get_backup(app.ports, OWNER_ID.upper(), view["id"].upper()) == view


def test_someone_elses_project_is_refused_and_nothing_is_written(app):
    with pytest.raises(NotFound) as refused:
        lifecycle.create_backup(app.ports, app.request, OTHER, PROJECT_ID, VALUES)
    assert refused.value.code == "project_not_found"
    assert app.events() == [] and app.backups.rows == {}


def test_update_renames_and_only_the_owner_may(app):
    backup = create(app)
    view = lifecycle.update_backup(app.ports, app.request, OWNER_ID, backup["id"], {"name": "新名称"})
    assert view["name"] == "新名称" and app.events()[-1].event_type == "BackupRenamed"
    unchanged = lifecycle.update_backup(app.ports, app.request, OWNER_ID, backup["id"], {"name": "新名称"})
    assert unchanged == view and len(app.events()) == 2
    for actor, backup_id in ((OTHER, backup["id"]), (OWNER_ID, "no-uuid"), (OWNER_ID, str(uuid.uuid4()))):
        with pytest.raises(NotFound) as refused:
            lifecycle.update_backup(app.ports, app.request, actor, backup_id, {"name": "x"})
        assert refused.value.code == "backup_not_found"


def test_submit_numbers_the_day_in_order_and_locks(app, file_payload):
    day = beijing_day(datetime.now(UTC))
    numbers = []
    for accession in ("HRA000567", "HRA000568"):
        backup = create(app)
        files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload(accession=accession))
        submitted = lifecycle.submit(app.ports, app.request, OWNER_ID, backup["id"])
        assert submitted["status"] == "completed"
        numbers.append(submitted["backup_number"])
    assert numbers == [f"BF{day}00001", f"BF{day}00002"]
    assert app.backups.counters == {day: 2}
    assert app.log.events().count("backup_submitted") == 2
    with pytest.raises(Conflict) as refused:
        lifecycle.submit(app.ports, app.request, OWNER_ID, backup["id"])
    assert refused.value.code == "backup_locked"


def test_submit_without_files_is_refused_before_a_serial_is_taken(app):
    backup = create(app)
    with pytest.raises(DomainError) as refused:
        lifecycle.submit(app.ports, app.request, OWNER_ID, backup["id"])
    assert refused.value.code == "backup_has_no_files"
    assert app.backups.counters == {}


def test_history_names_the_actor_and_masks_e_mail(app):
    app.identity.accounts[OWNER_ID] = {"id": OWNER_ID, "name": "张晓寒"}
    backup = create(app)
    [entry] = lifecycle.history(app.ports, OWNER_ID, backup["id"])
    assert (entry["event_type"], entry["actor_id"], entry["actor_name"]) == ("BackupCreated", OWNER_ID, "张晓寒")
    assert entry["details"]["pi_email"] != "data-admin@big.ac.cn" and entry["correlation_id"] == "req-unit"
    with pytest.raises(NotFound):
        lifecycle.history(app.ports, OTHER, backup["id"])


def test_link_filing_records_each_cited_backup_once(app, file_payload):
    backup = create(app)
    files.add_file(app.ports, app.request, OWNER_ID, backup["id"], file_payload())
    number = lifecycle.submit(app.ports, app.request, OWNER_ID, backup["id"])["backup_number"]
    values = {"filing_number": "BA202601150001", "backup_numbers": [number, "BF2099010100001"],
              "declared_mb": 10, "recipient": "Pacific Genomics Ltd (US)", "filed_at": "2026-01-15T02:00:00+00:00"}
    answer = {"filing_number": "BA202601150001", "linked": [number], "unknown": ["BF2099010100001"]}
    assert lifecycle.link_filing(app.ports, app.request, values) == answer
    assert lifecycle.link_filing(app.ports, app.request, values) == answer
    assert len(app.events("FilingLinked")) == 1
    assert [e.actor for e in app.events("FilingLinked")] == [None]
    [filing] = lifecycle.get_backup(app.ports, OWNER_ID, backup["id"])["filings"]
    assert filing["exceeds_declared"] is True and filing["cited_total_mb"] == 100_000


def test_a_project_created_event_is_applied_once(app):
    envelope = Envelope(event_id=str(uuid.uuid4()), event_type="ProjectCreated", schema_version=1,
                        source="projects", stream_type="project", stream_id=f"project-{PROJECT_ID}",
                        stream_version=1, occurred_at=datetime.now(UTC), actor=OWNER_ID,
                        correlation_id="req-projects", causation_id=None,
                        data={"project_id": PROJECT_ID, "owner_id": OWNER_ID, "institution_code": "NGDC",
                              "name": "WGS trio"})
    lifecycle.project_created(app.ports, app.request, envelope)
    lifecycle.project_created(app.ports, app.request, envelope)
    assert lifecycle.get_known_project(app.ports, PROJECT_ID)["name"] == "WGS trio"
    assert app.log.events() == ["project_known", "duplicate_event_ignored"]
