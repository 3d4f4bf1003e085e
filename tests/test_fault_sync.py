"""HGRG away for a while, and services killed mid-stream: every backup number reaches HGRG once."""
import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 1, "mb_per_case": 1,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}


def received(platform) -> list[str]:
    """What HGRG has on file (its durable record; its API is down during an outage)."""
    path = Path(platform.env["HGRIP_VAR"]) / "hgrg" / "received.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line)["backup_number"] for line in lines if line.strip()]


def hgrg_mode(platform, mode: str):
    response = requests.post(f"{platform.hgrg_url}/control/fail", json={"mode": mode}, timeout=10)
    assert response.status_code == 200, response.text


def ready_backups(client, n, label):
    project = client.post("/api/v1/projects", json={**PROJECT, "name": f"{label}-{time.time_ns()}"}).json()
    ids = []
    for i in range(n):
        backup = client.post(f"/api/v1/projects/{project['id']}/backups",
                             json={"name": f"{label}-{i}", "categories": ["wgs"]}).json()
        assert client.post(f"/api/v1/backups/{backup['id']}/files", json=HRA).status_code == 201
        ids.append(backup["id"])
    return ids


def numbers_of(client, ids) -> dict:
    return {i: client.get(f"/api/v1/backups/{i}").json()["backup_number"] for i in ids}


def test_hgrg_outage_then_recovery_delivers_every_number_once(platform, client_for):
    zhang = client_for("zhangxiaohan")
    ids = ready_backups(zhang, 8, "outage")
    hgrg_mode(platform, "down")
    try:
        numbers = [zhang.post(f"/api/v1/backups/{i}/submit").json()["backup_number"] for i in ids]
        failing = wait_until(lambda: all(
            zhang.get(f"/api/v1/backups/{i}/sync").json()["state"] == "failing" for i in ids),
            timeout=20, message="sync states failing while HGRG is down")
        assert failing
        state = zhang.get(f"/api/v1/backups/{ids[0]}/sync").json()
        assert state["attempts"] >= 1 and state["last_error"]
        time.sleep(3)  # HGRG stays away a while: retries go on, nothing is given up
        assert not set(numbers) & set(received(platform))
    finally:
        hgrg_mode(platform, "ok")
    wait_until(lambda: set(numbers) <= set(received(platform)), timeout=90, message="all delivered after recovery")
    time.sleep(1)
    got = received(platform)
    assert all(got.count(n) == 1 for n in numbers)
    for i in ids:
        assert zhang.get(f"/api/v1/backups/{i}/sync").json()["state"] == "synced"


def test_services_killed_mid_stream_lose_nothing(platform, client_for):
    zhang = client_for("zhangxiaohan")
    ids = ready_backups(zhang, 30, "killed")

    def submit(backup_id):
        try:
            return zhang.post(f"/api/v1/backups/{backup_id}/submit", timeout=30).status_code
        except requests.RequestException:
            return None

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(submit, i) for i in ids]
        time.sleep(0.3)
        platform.stop("registry-sync", sig=signal.SIGKILL)  # mid-stream, no goodbye
        time.sleep(0.3)
        platform.stop("backups", sig=signal.SIGKILL)
        time.sleep(1)
        platform.start("backups")
        platform.start("registry-sync")
        [future.result() for future in futures]
    platform.wait_healthy(60)

    # A user whose submit failed during the outage submits again; one already numbered stays as it is.
    def all_numbered():
        numbers = numbers_of(zhang, ids)
        for backup_id, number in numbers.items():
            if number is None:
                submit(backup_id)
        return numbers if all(numbers.values()) else None

    numbers = wait_until(all_numbered, timeout=90, message="every backup numbered")
    assert len(set(numbers.values())) == len(ids)  # distinct, never reused
    wait_until(lambda: set(numbers.values()) <= set(received(platform)), timeout=90,
               message="HGRG has every number")
    time.sleep(1)
    got = received(platform)
    assert all(got.count(n) == 1 for n in numbers.values())
