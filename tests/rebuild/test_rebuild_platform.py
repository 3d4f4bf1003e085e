"""``hgrip rebuild`` against the running platform (every service its own process, PostgreSQL, RabbitMQ):
after a mixed workload the read models equal their rebuild; corrupted rows are repaired while the
services keep running and a user keeps writing; and the restore drill of docs/operations.md
(pg_dump -Fc, drop, create, pg_restore, rebuild) loses nothing."""
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hgrip_kernel.config import env_key
from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

HGRIP = str(Path(sys.executable).parent / "hgrip")
SERVICES = ("backups", "identity", "projects", "registry-sync", "verification")
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
OMIX = {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}


def _url(platform, service: str) -> str:
    return platform.env[f"HGRIP_{env_key(service)}_DATABASE_URL"]


def hgrip_rebuild(platform, service: str, *options: str) -> tuple[int, dict]:
    done = subprocess.run([HGRIP, "rebuild", service, *options], env=platform.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def read_models(platform, service: str) -> dict:
    """Every read-model table of the service, as sorted rows (what a rebuild may change)."""
    _, listed = hgrip_rebuild(platform, service, "--list")
    engine = create_engine(_url(platform, service))
    try:
        with engine.connect() as connection:
            return {table: sorted(map(repr, connection.execute(text(f'SELECT * FROM "{table}"'))))  # nosec B608 # table names from --list
                    for tables in listed["read_models"].values() for table in tables}
    finally:
        engine.dispose()


def execute(platform, service: str, sql: str) -> int:
    engine = create_engine(_url(platform, service))
    try:
        with engine.begin() as connection:
            return connection.execute(text(sql)).rowcount
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def workload(platform, client_for):
    """A mixed workload: projects, backups, files added, removed and verified, renames, a submission
    synced to HGRG, a filing, and a delegation transfer (backups, projects, an owner change to HGRG)."""
    zhang = client_for("zhangxiaohan")
    project = zhang.post("/api/v1/projects", json={"name": "重建测试项目", "pi_name": "刘晓寒",
                                                    "pi_email": "data-admin@big.ac.cn", "consent": True}).json()
    submitted = zhang.post(f"/api/v1/projects/{project['id']}/backups",
                           json={"name": "重建测试备份", "categories": ["targeted"]}).json()
    assert zhang.post(f"/api/v1/backups/{submitted['id']}/files", json=HRA).status_code == 201
    number = zhang.post(f"/api/v1/backups/{submitted['id']}/submit").json()["backup_number"]
    draft = zhang.post(f"/api/v1/projects/{project['id']}/backups",
                       json={"name": "草稿备份", "categories": ["targeted"]}).json()
    for body in (HRA, OMIX):
        assert zhang.post(f"/api/v1/backups/{draft['id']}/files", json=body).status_code == 201
    omix = [f for f in zhang.get(f"/api/v1/backups/{draft['id']}").json()["files"] if f["repository"] == "OMIX"][0]
    assert zhang.request("DELETE", f"/api/v1/backups/{draft['id']}/files/{omix['id']}").status_code in (200, 204)
    renamed = zhang.request("PATCH", f"/api/v1/backups/{draft['id']}", json={"name": "草稿备份（改名）"})
    assert renamed.status_code == 200, renamed.text

    def hgrg_has():
        return number in requests.get(f"{platform.hgrg_url}/api/v1/backups", timeout=10).text
    wait_until(hgrg_has, timeout=30, message="HGRG received the number")
    filed = requests.post(f"{platform.hgrg_url}/control/filings", timeout=60, json={
        "backup_numbers": [number], "declared_mb": 500, "recipient": "Recipient A"})
    assert filed.status_code == 201, filed.text
    moved = client_for("ngdc-bio-admin").post("/api/v1/institution/delegations",
                                              json={"from_account": "zhangxiaohan", "to_account": "wangyuqing"})
    assert moved.status_code == 200, moved.text

    def hgrg_owner():
        answer = requests.get(f"{platform.hgrg_url}/api/v1/backups/{number}/owner", timeout=10)
        return answer.status_code == 200 and answer.json()["owner_username"] == "wangyuqing"
    wait_until(hgrg_owner, timeout=30, message="HGRG told the new owner")
    return {"number": number, "backup_id": submitted["id"], "project_id": project["id"]}


class Writer(threading.Thread):
    """A user creating projects, backups and files while the rebuild runs; counts what was answered."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.client, self.stop, self.backups, self.failures = client, threading.Event(), [], []

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            project = self.client.post("/api/v1/projects", json={
                "name": f"并发项目 {n}", "pi_name": "刘浩然", "pi_email": "liuhaoran@big.ac.cn", "consent": True})
            if project.status_code != 201:
                self.failures.append(project.text)
                continue
            backup = self.client.post(f"/api/v1/projects/{project.json()['id']}/backups",
                                      json={"name": f"并发备份 {n}", "categories": ["targeted"]})
            if backup.status_code != 201:
                self.failures.append(backup.text)
                continue
            added = self.client.post(f"/api/v1/backups/{backup.json()['id']}/files", json=HRA)
            (self.backups if added.status_code == 201 else self.failures).append(
                backup.json()["id"] if added.status_code == 201 else added.text)


def test_read_models_equal_their_rebuild_and_are_repaired_while_writes_go_on(platform, client_for, workload):
    for service in SERVICES:   # the live writers' rows are what the events fold to
        code, checked = hgrip_rebuild(platform, service, "--check")
        assert code == 0 and checked.get("changed", 0) == 0, checked
    writer = Writer(client_for("liuhaoran"))   # logged in now: the login changes his account row
    before = {service: read_models(platform, service) for service in SERVICES}
    assert any(workload["number"] in row for row in before["backups"]["backups"])
    assert before["registry-sync"]["owner_changes"] and before["identity"]["accounts"]

    # A projection bug's damage in every service with read models.
    backup_id, project_id = workload["backup_id"], workload["project_id"]
    assert execute(platform, "backups", f"UPDATE backups SET name = '坏', total_mb = -1 WHERE id = '{backup_id}'") == 1
    assert execute(platform, "backups", "DELETE FROM filings") == 1
    assert execute(platform, "projects", f"UPDATE projects SET name = '坏' WHERE id = '{project_id}'") == 1
    assert execute(platform, "identity", "UPDATE accounts SET name = '坏' WHERE username = 'zhangxiaohan'") == 1
    assert execute(platform, "registry-sync", "UPDATE sync_states SET attempts = 99") == 1

    writer.start()
    try:
        wait_until(lambda: len(writer.backups) >= 2 or writer.failures, timeout=30, message="the writer is writing")
        assert not writer.failures, writer.failures[:3]
        repaired = {service: hgrip_rebuild(platform, service)[1] for service in SERVICES}
        written_during = len(writer.backups)
        wait_until(lambda: len(writer.backups) >= written_during + 2, timeout=30, message="writes go on")
    finally:
        writer.stop.set()
        writer.join(30)
    assert not writer.failures, writer.failures[:3]
    assert repaired["backups"]["rows"]["backups"]["updated"] == 1
    assert repaired["backups"]["rows"]["filings"]["inserted"] == 1
    assert repaired["projects"]["rows"]["projects"]["updated"] == 1
    assert repaired["identity"]["rows"]["accounts"]["updated"] == 1
    assert repaired["registry-sync"]["rows"]["sync_states"]["updated"] == 1
    assert repaired["verification"]["rebuilt"] == []

    after = {service: read_models(platform, service) for service in SERVICES}
    for service in SERVICES:   # every row of before is back as it was (the writer only added rows)
        for table, rows in before[service].items():
            assert set(rows) <= set(after[service][table]), (service, table)
    mine = platform.query("backups", "SELECT id FROM backups WHERE name LIKE '并发备份%' AND file_count = 1")
    assert {row.id for row in mine} >= set(writer.backups)   # no write lost around the rebuild
    for service in SERVICES:   # and what the writers wrote meanwhile is what the events fold to
        code, checked = hgrip_rebuild(platform, service, "--check")
        assert code == 0 and checked.get("changed", 0) == 0, checked


def test_restore_drill(platform, client_for, workload):
    """docs/operations.md, "Restore drill": dump, drop, create, restore, rebuild, start, nothing lost."""
    url = make_url(_url(platform, "backups"))
    dsn = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    before = read_models(platform, "backups")
    numbers = {row.backup_number for row in platform.query("backups", "SELECT backup_number FROM backups "
                                                                      "WHERE backup_number IS NOT NULL")}
    dump = Path(platform.env["HGRIP_VAR"]) / "backups.dump"
    platform.stop("backups")
    subprocess.run(["pg_dump", "-Fc", *dsn, "-d", url.database, "-f", str(dump)], check=True, timeout=120)
    for sql in (f'DROP DATABASE "{url.database}" WITH (FORCE)', f'CREATE DATABASE "{url.database}"'):
        subprocess.run(["psql", *dsn, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                       timeout=60, capture_output=True)
    subprocess.run(["pg_restore", *dsn, "-d", url.database, "--no-owner", str(dump)], check=True, timeout=120)
    code, rebuilt = hgrip_rebuild(platform, "backups")
    assert code == 0 and rebuilt["changed"] == 0, rebuilt   # the dump held events and rows of one moment
    assert read_models(platform, "backups") == before
    platform.start("backups")
    platform.wait_healthy()
    wang = client_for("wangyuqing")
    listed = wait_until(lambda: wang.get(f"/api/v1/backups/{workload['backup_id']}").json(), timeout=30,
                        message="backups answers again")
    assert listed["backup_number"] == workload["number"] and listed["filing_numbers"]
    found = client_for("ngdc-legal").get("/api/v1/institution/backups",
                                         params={"status": "completed", "page_size": 100}).json()
    assert numbers <= {item["backup_number"] for item in found["items"]}
