"""The read model's UNIQUE(owner_id, name) is the last word on names, on both backends."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from hgrip_kernel.errors import Conflict
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.tables import events, outbox
from hgrip_projects.adapters import read_models
from hgrip_projects.app.views import project_view
from hgrip_projects.domain import Project, ProjectDetails

NOW = datetime(2023, 6, 28, 2, 30, tzinfo=UTC)


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
        return read_models.apply_project_created(uow.connection, created)


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
        assert read_models.name_taken(connection, owner["id"], "Trio")
        assert not read_models.name_taken(connection, owner["id"], "trio-2")
        [row] = read_models.list_for_owner(connection, owner["id"])
    assert project_view(row)["created_at"] == "2023-06-28T02:30:00+00:00"


def test_the_same_name_in_another_account_is_fine(store, make_account):
    create(store, "00000000-0000-4000-8000-000000000001", make_account(), "Trio")
    other = make_account(id="00000000-0000-4000-8000-0000000000aa", username="other")
    create(store, "00000000-0000-4000-8000-000000000002", other, "Trio")
    assert count(store, events) == 2


def test_a_move_onto_a_name_the_new_owner_took_meanwhile_is_refused_whole(store, make_account):
    from hgrip_projects.domain import Delegation, delegate_projects, project_stream_id

    owner = make_account()
    delegate = make_account(id="00000000-0000-4000-8000-0000000000aa", username="delegate")
    create(store, "00000000-0000-4000-8000-000000000001", owner, "Trio")
    create(store, "00000000-0000-4000-8000-000000000002", owner, "Quartet")
    create(store, "00000000-0000-4000-8000-000000000003", delegate, "Quartet")
    to_delegate = Delegation("00000000-0000-4000-8000-0000000000bb", owner["id"], delegate["id"],
                             "delegate", "U-002", "数据资源部", owner["id"], NOW)

    def move(uow, delegation, names_taken):
        """Past the read-model check, as a transfer racing a create_project would be."""
        loaded = {pid: uow.load(Project, project_stream_id(pid)) for pid in
                  ("00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002")}
        result = delegate_projects(loaded, delegation, names_taken)
        for pid in result["moved"]:
            [delegated] = uow.save(loaded[pid])
            read_models.apply_project_delegated(uow.connection, delegated, loaded[pid].state["name"])
        return result

    with pytest.raises(Conflict) as caught, store.unit_of_work(actor=owner["id"]) as uow:
        move(uow, to_delegate, names_taken=lambda moving: [])
    assert (caught.value.code, caught.value.details) == ("delegate_has_project_named", {"names": ["Quartet"]})
    assert count(store, events) == count(store, outbox) == 3    # Trio's move rolled back too
    with store.engine.connect() as connection:
        assert [row["name"] for row in read_models.list_for_owner(connection, owner["id"])] == \
            ["Quartet", "Trio"]

    # With the read model asked, the same transfer is refused before anything is written.
    with pytest.raises(Conflict), store.unit_of_work(actor=owner["id"]) as uow:
        move(uow, to_delegate,
             names_taken=lambda moving: read_models.names_taken(uow.connection, delegate["id"],
                                                                moving.values(), except_ids=moving))
    # To someone without those names, the rows follow the events (on both backends).
    to_third = Delegation("00000000-0000-4000-8000-0000000000bc", owner["id"],
                          "00000000-0000-4000-8000-0000000000cc", "third", "U-002", "数据资源部",
                          owner["id"], NOW)
    with store.unit_of_work(actor=owner["id"]) as uow:
        assert move(uow, to_third, names_taken=lambda moving: [])["moved"] == [
            "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]
    with store.engine.connect() as connection:
        assert read_models.list_for_owner(connection, owner["id"]) == []
        rows = read_models.list_for_owner(connection, "00000000-0000-4000-8000-0000000000cc")
    assert {(r["name"], r["owner_username"], r["unit_code"], r["unit_name"]) for r in rows} == \
        {("Trio", "third", "U-002", "数据资源部"), ("Quartet", "third", "U-002", "数据资源部")}


def test_a_transfer_that_lost_the_race_sees_no_clash_with_the_projects_it_moves(store, make_account):
    """The RPC and the consumer of one transfer at once: the loser loaded the projects before the
    winner committed, then finds them with the new owner in the read model. That is no name clash:
    its append loses the race (ConcurrencyError), and store.write reloads and finds them moved."""
    from hgrip_kernel.errors import ConcurrencyError
    from hgrip_projects.domain import Delegation, delegate_projects, project_stream_id

    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: a second unit of work cannot interleave")
    owner = make_account()
    delegate_id = "00000000-0000-4000-8000-0000000000aa"
    pid = "00000000-0000-4000-8000-000000000001"
    create(store, pid, owner, "Trio")
    delegation = Delegation("00000000-0000-4000-8000-0000000000bb", owner["id"], delegate_id,
                            "delegate", None, None, owner["id"], NOW)

    def move(uow, loaded):
        result = delegate_projects(loaded, delegation, names_taken=lambda moving: read_models.names_taken(
            uow.connection, delegate_id, moving.values(), except_ids=moving))
        for project_id in result["moved"]:
            [delegated] = uow.save(loaded[project_id])
            read_models.apply_project_delegated(uow.connection, delegated, "Trio")
        return result

    with pytest.raises(ConcurrencyError), store.unit_of_work(actor=owner["id"]) as slow:
        stale = {pid: slow.load(Project, project_stream_id(pid))}
        with store.unit_of_work(actor=owner["id"]) as fast:           # the other path wins
            assert move(fast, {pid: fast.load(Project, project_stream_id(pid))})["moved"] == [pid]
        move(slow, stale)                                           # not a name clash
    assert count(store, events) == 2
    assert store.write(lambda uow: move(uow, {pid: uow.load(Project, project_stream_id(pid))})) == \
        {"moved": [], "already": [pid], "skipped": []}
