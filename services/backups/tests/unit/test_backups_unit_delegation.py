"""Delegation transfer (app/delegation.py) with in-memory fakes: every refusal, then the move."""
import pytest

from hgrip_backups.app import delegation, lifecycle
from hgrip_kernel.errors import DomainError

PROJECT_ID = "7d1e0c3a-9b2f-4e5d-8c6b-1a2b3c4d5e6f"


@pytest.fixture
def world(app):
    """NGDC's legal person, U1's and U2's administrators, two researchers of U1 (one holding the
    manual's project and two backups), one of U2, one who left, one of another institution."""
    app.institution_known()
    ids = {"legal": app.member("legal", role="legal_person", unit=None),
           "u2_admin": app.member("u2_admin", role="unit_admin", unit="U2"),
           "zhang": app.member("zhang", name="张晓寒"), "wang": app.member("wang", name="王雨晴"),
           "chen": app.member("chen", unit="U2"), "left": app.member("left", employed=False),
           "outsider": app.member("outsider", institution="ECMG"),
           "other_legal": app.member("other_legal", role="legal_person", institution="ECMG", unit=None)}
    app.projects.projects[PROJECT_ID] = {**app.projects.projects[PROJECT_ID], "owner_id": ids["zhang"]}
    app.backups.projects[PROJECT_ID] = {"project_id": PROJECT_ID, "owner_id": ids["zhang"],
                                        "institution_code": "NGDC", "name": "WGS trio"}
    backups = [lifecycle.create_backup(app.ports, app.request, ids["zhang"], PROJECT_ID,
                                       {"name": name, "categories": ["wgs"]}) for name in ("一", "二")]
    return ids, backups


def transfer(app, ids, actor, source="zhang", target="wang"):
    return delegation.transfer_delegation(app.ports, app.request, ids[actor],
                                          {"from_account": source, "to_account": target})


@pytest.mark.parametrize("actor, source, target, code", [
    ("zhang", "zhang", "wang", "institution_admins_only"),
    ("other_legal", "zhang", "wang", "member_not_found"),
    ("u2_admin", "zhang", "chen", "member_not_found"),
    ("legal", "zhang", "outsider", "member_not_found"),
    ("legal", "nobody", "wang", "member_not_found"),
    ("legal", "zhang", "zhang", "delegation_to_same_person"),
    ("legal", "zhang", "u2_admin", "delegate_not_natural_person"),
    ("legal", "zhang", "left", "delegate_not_employed"),
])
def test_refusals_change_nothing(app, world, actor, source, target, code):
    ids, _ = world
    before = len(app.events())
    with pytest.raises(DomainError) as refused:
        transfer(app, ids, actor, source, target)
    assert refused.value.code == code
    assert len(app.events()) == before and app.projects.transfers == []


def test_a_project_name_the_new_delegate_uses_blocks_the_transfer(app, world):
    ids, _ = world
    app.backups.projects["p2"] = {"project_id": "p2", "owner_id": ids["wang"], "institution_code": "NGDC",
                                  "name": "WGS trio"}
    with pytest.raises(DomainError) as refused:
        transfer(app, ids, "legal")
    assert refused.value.code == "delegate_has_project_named"


def test_the_transfer_moves_every_backup_and_project_in_one_unit_of_work(app, world):
    ids, backups = world
    answer = transfer(app, ids, "legal")
    assert [b["id"] for b in answer["backups"]] == [b["id"] for b in backups]
    assert (answer["from_account"]["username"], answer["to_account"]["username"]) == ("zhang", "wang")
    assert answer["project_ids"] == [PROJECT_ID] and app.backups.projects[PROJECT_ID]["owner_id"] == ids["wang"]
    delegated = app.events("BackupDelegated")
    assert [e.data["to_owner_id"] for e in delegated] == [ids["wang"]] * 2
    [event] = app.events("DelegationTransferred")
    assert event.stream_id == f"delegation-{answer['transfer_id']}" and event.data["transferred_by"] == ids["legal"]
    assert len({e.correlation_id for e in delegated + [event]}) == 1
    assert all(row["owner_id"] == ids["wang"] for row in app.backups.rows.values())
    assert app.projects.transfers == [event.data]
    assert app.log.events()[-1] == "delegation_transferred"


def test_projects_that_cannot_answer_move_later(app, world):
    ids, _ = world
    app.projects.refuse_transfer = "service_unavailable"
    transfer(app, ids, "legal")
    [(level, event, fields)] = [line for line in app.log.lines if line[0] == "warning"]
    assert (event, fields["reason"]) == ("projects_transfer_deferred", "service_unavailable")
    assert app.log.lines[-1][2]["projects_moved_now"] is False
