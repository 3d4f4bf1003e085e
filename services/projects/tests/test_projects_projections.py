"""The read model's UNIQUE(owner_id, name) is the last word on names, on both backends."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from hgrip_kernel.errors import Conflict
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.tables import events, outbox
from hgrip_projects import projections
from hgrip_projects.domain import Project, ProjectDetails

NOW = datetime(2023, 6, 28, 2, 30, tzinfo=timezone.utc)


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request, make_database, sqlite_url):
    if request.param == "postgresql":
        url = make_database("projects")
    else:
        from hgrip_kernel.cli.migrate import upgrade
        url = sqlite_url
        upgrade("projects", url)
    engine = create_engine(url)
    yield EventStore(engine, source="projects")
    engine.dispose()


def create(store, project_id, account, name):
    """Create past the read-model check, as a racing writer that checked too early would."""
    with store.unit_of_work(actor=account["id"]) as uow:
        project = Project.create(project_id, account, ProjectDetails(name, "刘晓寒", "a@b.cn"), True,
                                 name_taken=lambda _: False, now=NOW)
        [created] = uow.save(project)
        return projections.apply_project_created(uow.connection, created)


def count(store, table):
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_lost_name_race_is_a_conflict_and_rolls_back_its_event(store, make_account):
    owner = make_account()
    create(store, "00000000-0000-4000-8000-000000000001", owner, "Trio")
    with pytest.raises(Conflict) as caught:
        create(store, "00000000-0000-4000-8000-000000000002", owner, "Trio")
    assert caught.value.code == "project_name_taken"
    assert count(store, events) == count(store, outbox) == 1
    with store.engine.connect() as connection:
        assert projections.name_taken(connection, owner["id"], "Trio")
        assert not projections.name_taken(connection, owner["id"], "trio-2")
        [row] = projections.list_for_owner(connection, owner["id"])
    assert projections.to_dict(row)["created_at"] == "2023-06-28T02:30:00+00:00"


def test_the_same_name_in_another_account_is_fine(store, make_account):
    create(store, "00000000-0000-4000-8000-000000000001", make_account(), "Trio")
    other = make_account(id="00000000-0000-4000-8000-0000000000aa", username="other")
    create(store, "00000000-0000-4000-8000-000000000002", other, "Trio")
    assert count(store, events) == 2
