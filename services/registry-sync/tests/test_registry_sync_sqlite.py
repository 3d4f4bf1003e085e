"""The embedded default (`make run`): registry-sync on SQLite pushes, retries and syncs the same way."""
from hgrip_kernel.cli.migrate import upgrade
from hgrip_registry_sync.service import RegistrySyncService


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
