"""Listing and reading one's own projects, names an owner uses (app/queries.py)."""
import pytest

from hgrip_kernel.errors import NotFound
from hgrip_projects.app.creation import create_project
from hgrip_projects.app.queries import get_project, list_projects, project_names_taken
from hgrip_projects.domain import ProjectDetails


@pytest.fixture
def owner(world, make_account):
    account = make_account()
    world.identity.accounts[account["id"]] = account
    for name in ("Trio", "Quartet"):
        create_project(world.ports, world.request, account["id"],
                       ProjectDetails(name, "刘晓寒", "a@b.cn"), True)
    return account


def test_list_is_the_owners_own_newest_first(world, owner):
    assert [row["name"] for row in list_projects(world.ports, owner["id"].upper())] == ["Quartet", "Trio"]
    assert list_projects(world.ports, "00000000-0000-4000-8000-0000000000aa") == []
    assert list_projects(world.ports, "not-a-uuid") == []


def test_get_answers_only_the_owner(world, owner):
    [newest, _] = list_projects(world.ports, owner["id"])
    assert get_project(world.ports, owner["id"], newest["id"].upper())["name"] == "Quartet"
    for actor, project_id in ((owner["id"], "not-a-uuid"), ("00000000-0000-4000-8000-0000000000aa", newest["id"]),
                              (owner["id"], "00000000-0000-4000-8000-0000000000bb")):
        with pytest.raises(NotFound) as info:
            get_project(world.ports, actor, project_id)
        assert info.value.code == "project_not_found"


def test_names_taken_in_the_given_order_without_repeats(world, owner):
    assert project_names_taken(world.ports, owner["id"], ["Trio", "Solo", "Quartet", "Trio"]) == ["Trio", "Quartet"]
    assert project_names_taken(world.ports, "not-a-uuid", ["Trio"]) == []
    assert project_names_taken(world.ports, owner["id"], []) == []
