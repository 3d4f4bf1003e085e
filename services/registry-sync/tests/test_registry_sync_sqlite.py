"""The embedded default (`make run`): registry-sync on SQLite pushes, retries and syncs the same way."""
from hgrip_kernel.cli.migrate import upgrade
from hgrip_registry_sync.entrypoints.service import RegistrySyncService


def test_on_sqlite_numbers_survive_an_outage_and_arrive_once(
        tmp_path, sync_config, start_service, backups, backup_payload, hgrg, sync_rows,
        sync_states_of, wait_until):
    url = f"sqlite:///{tmp_path / 'registry_sync.sqlite'}"
    upgrade("registry-sync", url)
    start_service(RegistrySyncService, sync_config(url))

    first = [backup_payload() for _ in range(3)]
    backups.submit(*first)
    wait_until(lambda: len(hgrg.received()) == 3, message="first three received")

    hgrg.control("down")
    later = [backup_payload() for _ in range(3)]
    backups.submit(*later)
    wait_until(lambda: sync_rows(url, "SELECT count(*) FROM sync_states WHERE state = 'failing' "
                                      "AND attempts >= 2")[0][0] == 3, message="failing while HGRG is down")
    hgrg.control("ok")
    wait_until(lambda: sync_rows(url, "SELECT count(*) FROM sync_states WHERE state = 'synced'")[0][0] == 6,
               timeout=20, message="all synced")

    numbers = sorted(p["backup_number"] for p in first + later)
    assert sorted(hgrg.received_numbers()) == numbers
    assert hgrg.answers("duplicate") == []
    states = sync_states_of(numbers)
    assert all(s["state"] == "synced" and s["synced_at"] for s in states.values())
    assert [states[p["backup_number"]]["attempts"] for p in first] == [1, 1, 1]
    assert all(states[p["backup_number"]]["attempts"] >= 3 for p in later)


def test_migration_0003_adds_and_removes_owner_changes_on_sqlite(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect

    from hgrip_kernel.cli.migrate import migration_locations

    url = f"sqlite:///{tmp_path / 'registry_sync.sqlite'}"
    upgrade("registry-sync", url, revision="0002")
    engine = create_engine(url)
    try:
        assert "owner_changes" not in inspect(engine).get_table_names()
        upgrade("registry-sync", url)
        inspector = inspect(engine)
        assert {c["name"] for c in inspector.get_columns("owner_changes")} == {
            "change_id", "backup_number", "backup_id", "reason", "owner_username", "sequence", "state",
            "attempts", "last_error", "next_attempt_at", "synced_at", "payload", "correlation_id",
            "version", "updated_at"}
        assert {i["name"] for i in inspector.get_indexes("owner_changes")} == {
            "ix_owner_changes_due", "ix_owner_changes_number"}
        config = Config()
        config.set_main_option("script_location", migration_locations()["registry-sync"])
        config.set_main_option("sqlalchemy.url", url)
        command.downgrade(config, "0002")
        assert "owner_changes" not in inspect(engine).get_table_names()
        assert "sync_states" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
