"""The operator's console over HTTP: any backup by its number (the manual's legacy BF2021031500012 and
a new one) with owner, history and HGRG state; synchronisation at a glance; a dead letter produced on
purpose, listed, read masked, replayed — and the replay an audited action naming the operator."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection, Producer

from hgrip_kernel.messaging.topology import events_exchange
from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HGRIP = Path(sys.executable).with_name("hgrip")
PROJECT = {"name": "运维查询项目", "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
POISON_ID = "poison-operator-console-1"


@pytest.fixture(scope="module")
def world(platform, client_for):
    env = {**os.environ, **platform.env}
    done = subprocess.run([str(HGRIP), "legacy", "import", str(ROOT / "deploy" / "demo-legacy.json"),
                           "--no-progress"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    zhang = client_for("zhangxiaohan")     # her first login attaches her legacy backups
    project = zhang.post("/api/v1/projects", json=PROJECT).json()
    backup = zhang.post(f"/api/v1/projects/{project['id']}/backups",
                        json={"name": "运维查询备份", "categories": ["targeted"]}).json()
    assert zhang.post(f"/api/v1/backups/{backup['id']}/files", json=HRA).status_code == 201
    submitted = zhang.post(f"/api/v1/backups/{backup['id']}/submit").json()
    return {"operator": client_for("operator"), "number": submitted["backup_number"], "zhang": zhang}


def test_the_operator_finds_a_legacy_backup_by_its_number(world):
    operator = world["operator"]
    found = wait_until(lambda: (lambda r: r.json() if r.status_code == 200 and r.json()["owner"] else None)(
        operator.get("/api/v1/operator/backups/bf2021031500012")), message="legacy backup attached")
    assert found["backup"]["backup_number"] == "BF2021031500012" and found["backup"]["origin"] == "legacy"
    assert (found["owner"]["username"], found["owner"]["name"]) == ("zhangxiaohan", "张晓寒")
    assert found["owner"]["institution"]["name"] == "国家基因组科学数据中心测试"
    assert [entry["event_type"] for entry in found["history"]][0] == "LegacyBackupImported"
    assert found["hgrg"]["backup_number"] == "BF2021031500012"
    assert [change["reason"] for change in found["hgrg"]["owner_changes"]] == ["claimed"]
    missing = operator.get("/api/v1/operator/backups/BF2099010100001")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "backup_not_found"


def test_a_new_backup_shows_its_push_to_hgrg_and_the_sync_summary(world):
    operator, number = world["operator"], world["number"]
    found = wait_until(lambda: (lambda r: r.json() if r.json()["hgrg"]["number"]
                                and r.json()["hgrg"]["number"]["state"] == "synced" else None)(
        operator.get(f"/api/v1/operator/backups/{number}")), message="number pushed to HGRG")
    push = found["hgrg"]["number"]
    assert push["attempts"] >= 1 and push["last_error"] is None and push["synced_at"]
    assert found["backup"]["delegate"]["username"] == "zhangxiaohan"
    assert [e["event_type"] for e in found["history"]][-1] == "BackupSubmitted"
    glance = wait_until(lambda: (lambda g: g if g["pending"] == 0 and g["failing"] == 0 else None)(
        operator.get("/api/v1/operator/sync").json()), message="nothing left to push")
    assert glance["numbers"]["synced"] >= 1 and glance["last_synced_at"] >= push["synced_at"]
    assert glance["oldest_pending_age_seconds"] is None


def test_a_dead_letter_is_listed_read_masked_and_replayed_with_an_audited_action(platform, world):
    operator = world["operator"]
    with Connection(platform.env["HGRIP_AMQP_URI"]) as connection:   # a poison message: no envelope
        Producer(connection.default_channel).publish(
            {"event_type": "ProjectCreated", "data": {"pi_email": "liuxh@big.ac.cn", "mobile": "13912345678"}},
            exchange=events_exchange, routing_key="projects.ProjectCreated", message_id=POISON_ID,
            serializer="json")
    letters = wait_until(lambda: [item for item in operator.get("/api/v1/operator/dead-letters").json()["items"]
                                  if item["message_id"] == POISON_ID], message="the dead letter")
    [letter] = letters
    assert (letter["service"], letter["queue"]) == ("backups", "backups.on_project_created")
    assert letter["error"] and letter["attempts"] == 0 and letter["failed_at"]
    one = operator.get(f"/api/v1/operator/dead-letters/{POISON_ID}")
    assert one.status_code == 200, one.text
    text = one.text
    assert "13912345678" not in text and "liuxh@big.ac.cn" not in text
    assert one.json()["message"]["body"]["data"]["mobile"] == "139****5678"
    assert one.json()["message"]["body"]["data"]["pi_email"] == "l***@big.ac.cn"
    replayed = operator.post(f"/api/v1/operator/dead-letters/{POISON_ID}/replay")
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["count"] == 1 and replayed.json()["action"]["operator"]["username"] == "operator"
    actions = operator.get("/api/v1/operator/actions").json()
    newest = actions["items"][0]
    assert (newest["action"], newest["target"], newest["operator"]["name"]) == \
        ("dead_letter_replayed", POISON_ID, "平台运维测试")
    assert newest["replayed"][0]["queue"] == "backups.on_project_created"
    # Still poison: it fails again and comes back as a dead letter; replaying all takes it once more.
    wait_until(lambda: any(item["message_id"] == POISON_ID
                           for item in operator.get("/api/v1/operator/dead-letters").json()["items"]),
               message="the poison back in the dead letters")
    every = operator.post("/api/v1/operator/dead-letters/replay")
    assert every.status_code == 200 and POISON_ID in {m["message_id"] for m in every.json()["replayed"]}
    assert operator.get("/api/v1/operator/actions").json()["items"][0]["action"] == "dead_letters_replayed"
    assert operator.get("/api/v1/operator/dead-letters/no-such-id").json()["error"]["code"] == \
        "dead_letter_not_found"
