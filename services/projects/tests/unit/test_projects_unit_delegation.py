"""transfer_projects (app/delegation.py) over in-memory fakes: moves, repeats, skips, name clashes."""
import pytest

from hgrip_kernel.errors import Conflict
from hgrip_projects.app.creation import create_project
from hgrip_projects.app.delegation import transfer_projects
from hgrip_projects.domain import ProjectDetails

TO = "00000000-0000-4000-8000-0000000000aa"
THIRD = "00000000-0000-4000-8000-0000000000cc"


@pytest.fixture
def people(world, make_account):
    owner = make_account()
    delegate = make_account(id=TO, username="delegate", unit={"code": "U-002", "name": "数据资源部"})
    third = make_account(id=THIRD, username="third", unit=None)
    for account in (owner, delegate, third):
        world.identity.accounts[account["id"]] = account
    return owner, delegate, third


def create(world, account, name):
    return create_project(world.ports, world.request, account["id"],
                          ProjectDetails(name, "刘晓寒", "a@b.cn"), True)["id"]


def move(world, transfer, event_id=None):
    return transfer_projects(world.ports, world.request, transfer, event_id=event_id)


def test_a_transfer_moves_the_projects_and_a_repeat_changes_nothing(world, people, make_transfer):
    owner, delegate, _ = people
    ids = [create(world, owner, "Trio"), create(world, owner, "Quartet")]
    transfer = make_transfer(owner["id"], TO, ids)
    assert move(world, transfer) == {"moved": ids, "already": [], "skipped": []}
    assert {world.records.rows[pid]["owner_id"] for pid in ids} == {TO}
    assert world.records.rows[ids[0]]["unit_code"] == "U-002"
    delegated = [e for e in world.store.events if e.event_type == "ProjectDelegated"]
    assert len(delegated) == 2 and {e.actor for e in delegated} == {transfer.transferred_by}
    assert move(world, transfer) == {"moved": [], "already": ids, "skipped": []}
    assert world.types().count("ProjectDelegated") == 2
    assert ("info", "projects_transferred", {"transfer_id": transfer.transfer_id, "from_owner_id": owner["id"],
                                             "to_owner_id": TO, "moved": 0, "already": 2, "skipped": []}) \
        in world.request.log.lines


def test_projects_moved_elsewhere_or_unknown_are_skipped(world, people, make_transfer):
    owner, _, third = people
    elsewhere, unknown = create(world, owner, "Trio"), "00000000-0000-4000-8000-0000000000dd"
    move(world, make_transfer(owner["id"], THIRD, [elsewhere], transfer_id="00000000-0000-4000-8000-00000000f000",
                              to_unit_code=None))
    assert move(world, make_transfer(owner["id"], TO, [elsewhere, unknown])) == \
        {"moved": [], "already": [], "skipped": [elsewhere, unknown]}


def test_a_name_the_delegate_uses_refuses_the_whole_transfer(world, people, make_transfer):
    owner, delegate, _ = people
    ids = [create(world, owner, "Trio"), create(world, owner, "Quartet")]
    create(world, delegate, "Quartet")
    before = list(world.store.events)
    with pytest.raises(Conflict) as info:
        move(world, make_transfer(owner["id"], TO, ids))
    assert (info.value.code, info.value.details) == ("delegate_has_project_named", {"names": ["Quartet"]})
    assert world.store.events == before
    assert {world.records.rows[pid]["owner_id"] for pid in ids} == {owner["id"]}


def test_the_unit_is_the_new_owners_as_identity_knows_it(world, people, make_transfer):
    owner, _, _ = people
    pid = create(world, owner, "Trio")
    transfer = make_transfer(owner["id"], THIRD, [pid], to_unit_code="U-009")
    move(world, transfer)
    assert (world.records.rows[pid]["unit_code"], world.records.rows[pid]["unit_name"]) == (None, None)
    assert ("warning", "delegate_unit_changed", {"transfer_id": transfer.transfer_id, "transfer_unit": "U-009",
                                                 "identity_unit": None}) in world.request.log.lines
    assert world.identity.asked[-1] == THIRD


def test_the_consumer_path_marks_the_event_and_ignores_its_duplicate(world, people, make_transfer):
    owner, _, _ = people
    pid = create(world, owner, "Trio")
    transfer = make_transfer(owner["id"], TO, [pid])
    event_id = "00000000-0000-4000-8000-0000000000ee"
    assert move(world, transfer, event_id=event_id)["moved"] == [pid]
    assert ("projects.on_delegation_transferred", event_id) in world.store.inbox
    assert move(world, transfer, event_id=event_id) is None
    assert world.types().count("ProjectDelegated") == 1
