"""create_project (app/creation.py) over in-memory fakes: each refusal, unique names."""
import pytest

from hgrip_kernel.errors import Conflict, DomainError, NotFound
from hgrip_projects.app.creation import create_project
from hgrip_projects.domain import ProjectDetails

DETAILS = ProjectDetails("三例样本（父母子）的测序数据开放共享备案", "刘晓寒", "liuxh@big.ac.cn")


def create(world, account, details=DETAILS, consent=True):
    world.identity.accounts[account["id"]] = account
    return create_project(world.ports, world.request, account["id"], details, consent)


def test_create_records_the_event_and_writes_the_row(world, make_account):
    account = make_account()
    row = create(world, account)
    assert row["owner_id"] == account["id"] and row["name"] == DETAILS.name
    assert (row["institution_code"], row["unit_code"]) == ("12100000400000624D", "U-001")
    [event] = world.store.events
    assert event.event_type == "ProjectCreated" and event.actor == account["id"]
    assert event.correlation_id == "req-unit-1" and event.data["project_id"] == row["id"]
    assert world.records.rows == {row["id"]: row}
    assert world.request.log.lines == [("info", "project_created", {
        "project_id": row["id"], "owner_id": account["id"], "event_id": event.event_id})]


@pytest.mark.parametrize("changes,consent,code", [
    ({"role": "legal_person"}, True, "natural_person_only"),
    ({"real_name_verified": False}, True, "real_name_required"),
    ({"authorised": False}, True, "authorisation_required"),
    ({"institution": None}, True, "authorisation_required"),
    ({"institution": {"code": "F", "name": "Foreign Ltd", "foreign": True}}, True, "foreign_institution"),
    ({"institution": {"code": "F", "name": "Unknown", "foreign": None}}, True, "foreign_institution"),
    ({}, "yes", "consent_required"),
    ({}, None, "consent_required"),
])
def test_each_refusal_records_nothing(world, make_account, changes, consent, code):
    with pytest.raises(DomainError) as info:
        create(world, make_account(**changes), consent=consent)
    assert info.value.code == code
    assert world.store.events == [] and world.records.rows == {}


def test_identity_refusals_pass_through(world):
    with pytest.raises(NotFound) as info:
        create_project(world.ports, world.request, "00000000-0000-4000-8000-0000000000ff",
                       DETAILS, True)
    assert info.value.code == "account_not_found" and world.store.events == []


def test_names_are_unique_per_account(world, make_account):
    owner = make_account()
    create(world, owner)
    with pytest.raises(Conflict) as info:
        create(world, owner)
    assert (info.value.code, info.value.details) == ("project_name_taken", {"name": DETAILS.name})
    create(world, make_account(id="00000000-0000-4000-8000-0000000000aa", username="other"))
    assert world.types() == ["ProjectCreated", "ProjectCreated"]
