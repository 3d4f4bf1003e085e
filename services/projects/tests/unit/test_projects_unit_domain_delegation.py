"""Delegation transfers (委托调整) in the domain, plain Python: who moves, who does not, idempotence."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hgrip_kernel.errors import Conflict
from hgrip_projects.domain import (
    ALREADY,
    MOVED,
    SKIPPED,
    Delegation,
    Project,
    ProjectDetails,
    delegate_projects,
)

NOW = datetime(2023, 6, 28, 2, 30, tzinfo=UTC)
FROM = "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10"   # ELIGIBLE_ACCOUNT's id
TO = "6b1d9f3f-4c2e-4d7f-8a8b-1e3c5f7a9b21"
THIRD = "7c2e0a4a-5d3f-4e80-9b9c-2f4d6a8b0c32"
ADMIN = "8d3f1b5b-6e4a-4f91-8cad-3a5e7b9c1d43"
T1 = "9e4a2c6c-7f5b-4aa2-9dbe-4b6f8cad2e54"
T2 = "af5b3d7d-8a6c-4bb3-8ecf-5c7a9dbe3f65"


def delegation(transfer_id=T1, from_owner=FROM, to_owner=TO, **changes) -> Delegation:
    values = dict(transfer_id=transfer_id, from_owner_id=from_owner, to_owner_id=to_owner,
                  to_username="wangyuqing", unit_code="U-002", unit_name="数据资源部",
                  delegated_by=ADMIN, delegated_at=datetime(2023, 7, 1, 10, 0, tzinfo=timezone(timedelta(hours=8))))
    values.update(changes)
    return Delegation(**values)


@pytest.fixture
def project(make_account):
    """``project(name=..., project_id=...)``: a saved project of FROM (nothing pending)."""
    serial = iter(range(1, 1000))

    def make(name="三例样本（父母子）的测序数据开放共享备案", project_id=None):
        project_id = project_id or f"00000000-0000-4000-8000-{next(serial):012d}"
        created = Project.create(project_id, make_account(), ProjectDetails(name, "刘晓寒", "a@b.cn"),
                                 True, name_taken=lambda _: False, now=NOW)
        created.mark_saved()
        return created
    return make


def test_delegate_records_project_delegated_and_moves_owner_and_unit(project):
    moving = project()
    assert moving.delegate(delegation()) == MOVED
    [event] = moving.pending
    assert event.type == "ProjectDelegated"
    assert event.data == {
        "project_id": moving.state["project_id"], "transfer_id": T1,
        "from_owner_id": FROM, "to_owner_id": TO, "to_username": "wangyuqing",
        "unit_code": "U-002", "unit_name": "数据资源部", "delegated_by": ADMIN,
        "delegated_at": "2023-07-01T02:00:00+00:00",   # the transfer's time, in UTC
    }
    # The state follows: a new owner, in the new unit; the details and institution stay.
    assert moving.state["owner_id"] == TO and moving.state["owner_username"] == "wangyuqing"
    assert (moving.state["unit_code"], moving.state["unit_name"]) == ("U-002", "数据资源部")
    assert moving.state["institution_code"] == "12100000400000624D"
    assert moving.state["name"] == "三例样本（父母子）的测序数据开放共享备案"


def test_a_new_owner_without_unit_gives_a_null_unit(project):
    moving = project()
    assert moving.delegate(delegation(unit_code=None, unit_name=None)) == MOVED
    assert moving.state["unit_code"] is None and moving.state["unit_name"] is None


def test_repeating_the_transfer_records_nothing(project):
    moving = project()
    moving.delegate(delegation())
    moving.mark_saved()
    assert moving.delegate(delegation()) == ALREADY
    assert moving.pending == []


def test_a_repeat_after_the_project_moved_on_is_already_not_skipped(project):
    moving = project()
    moving.delegate(delegation())
    moving.delegate(delegation(transfer_id=T2, from_owner=TO, to_owner=THIRD))
    moving.mark_saved()
    assert moving.state["owner_id"] == THIRD
    assert moving.delegate(delegation()) == ALREADY   # T1 did its part long ago
    assert moving.pending == []


def test_a_project_the_new_owner_owns_already_records_nothing(project):
    moving = project()
    moving.delegate(delegation(transfer_id=T2))       # another transfer got there first
    moving.mark_saved()
    assert moving.delegate(delegation()) == ALREADY
    assert moving.pending == []


def test_a_project_someone_else_owns_now_is_skipped(project):
    moving = project()
    moving.delegate(delegation(transfer_id=T2, to_owner=THIRD))
    moving.mark_saved()
    assert moving.delegate(delegation()) == SKIPPED   # FROM no longer owns it, TO never did
    assert moving.pending == [] and moving.state["owner_id"] == THIRD


def test_rehydrate_folds_created_and_delegated(project):
    moving = project()
    created = dict(moving.state)
    moving.delegate(delegation())
    delegated = moving.pending[0].data

    class Stored:
        def __init__(self, event_type, data, version):
            self.event_type, self.data, self.stream_version = event_type, data, version

    again = Project.rehydrate(moving.id, [Stored("ProjectCreated", created, 1),
                                          Stored("ProjectDelegated", delegated, 2)])
    assert again.version == 2 and again.state == moving.state and again.transfers == {T1}
    assert again.delegate(delegation()) == ALREADY


def test_delegate_projects_sorts_every_project_into_one_list(project):
    mine, theirs, gone, already = project("A"), project("B"), project("C"), project("D")
    gone.delegate(delegation(transfer_id=T2, to_owner=THIRD))
    already.delegate(delegation())
    for each in (gone, already):
        each.mark_saved()
    missing = "00000000-0000-4000-8000-0000000000ff"
    loaded = {p.state["project_id"]: p for p in (mine, theirs, gone, already)}
    loaded[missing] = None
    asked = []

    def taken(moving):
        asked.append(dict(moving))
        return []

    result = delegate_projects(loaded, delegation(), taken)
    assert result == {"moved": [mine.state["project_id"], theirs.state["project_id"]],
                      "already": [already.state["project_id"]],
                      "skipped": [gone.state["project_id"], missing]}
    # Only the projects that would move are checked, with their ids (they are no clash with themselves).
    assert asked == [{mine.state["project_id"]: "A", theirs.state["project_id"]: "B"}]
    assert [len(p.pending) for p in (mine, theirs, gone, already)] == [1, 1, 0, 0]


def test_nothing_to_move_asks_nothing(project):
    already = project()
    already.delegate(delegation())
    already.mark_saved()

    def taken(moving):
        raise AssertionError("not asked")

    assert delegate_projects({already.state["project_id"]: already}, delegation(), taken) == \
        {"moved": [], "already": [already.state["project_id"]], "skipped": []}


def test_a_name_clash_refuses_the_whole_transfer_and_records_nothing(project):
    first, second, third = project("Trio"), project("Quartet"), project("Solo")
    loaded = {p.state["project_id"]: p for p in (first, second, third)}
    with pytest.raises(Conflict) as caught:
        delegate_projects(loaded, delegation(), lambda moving: ["Solo", "Trio"])
    error = caught.value
    assert (error.code, error.http_status) == ("delegate_has_project_named", 409)
    assert error.details == {"names": ["Trio", "Solo"]}            # in the order of the transfer
    assert error.message.isascii() and not error.message_zh.isascii()
    assert all(p.pending == [] and p.state["owner_id"] == FROM for p in (first, second, third))
