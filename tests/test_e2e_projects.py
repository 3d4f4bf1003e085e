"""Login → create project → it is listed → its event reached another service, all over HTTP and AMQP."""
import json

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

MANUAL_PROJECT = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒",
                  "pi_email": "data-admin@big.ac.cn", "consent": True}



def test_the_manual_project_end_to_end(platform, client_for):
    zhang = client_for("zhangxiaohan")
    me = zhang.get("/api/v1/me").json()
    assert me["name"] == "张晓寒" and me["role"] == "natural_person"
    assert me["institution"]["name"] == "国家基因组科学数据中心测试"
    assert "13912345678" not in json.dumps(me)  # mobile is masked

    created = zhang.post("/api/v1/projects", json=MANUAL_PROJECT, headers={"X-Request-Id": "e2e-create-1"})
    assert created.status_code == 201, created.text
    assert created.headers["X-Request-Id"] == "e2e-create-1"
    project = created.json()
    assert project["institution"]["name"] == "国家基因组科学数据中心测试"  # from the authorisation
    assert project["name"] == MANUAL_PROJECT["name"] and project["created_at"]

    listed = zhang.get("/api/v1/projects").json()
    assert [p["id"] for p in listed["items"]] == [project["id"]] and listed["total"] == 1
    assert zhang.get(f"/api/v1/projects/{project['id']}").json() == project

    # The ProjectCreated event reached backups, applied exactly once.
    with ClusterRpcProxy({"AMQP_URI": platform.env["HGRIP_AMQP_URI"]}, timeout=10) as cluster:
        known = wait_until(lambda: cluster.backups.get_known_project(project["id"]), message="backups knows it")
    assert known["owner_id"] == me["id"]
    event_ids = [r.event_id for r in platform.query("projects",
                 "SELECT event_id FROM events WHERE event_type = 'ProjectCreated' AND data::text LIKE :p",
                 p=f"%{project['id']}%")]
    assert len(event_ids) == 1
    applied = platform.query("backups", "SELECT consumer FROM inbox WHERE event_id = :e", e=event_ids[0])
    assert len(applied) == 1

    # One correlation id from the HTTP request through RPC and the event to the consumer.
    stored = platform.query("projects", "SELECT correlation_id, actor FROM events WHERE event_id = :e",
                   e=event_ids[0])[0]
    assert stored.correlation_id == "e2e-create-1" and stored.actor == me["id"]
    lines = [json.loads(line) for line in platform.log_text().splitlines() if line.startswith("{")]
    services_seen = {line.get("service") for line in lines if line.get("correlation_id") == "e2e-create-1"}
    assert {"gateway", "projects", "backups"} <= services_seen, services_seen
    logs = platform.log_text()
    assert "13912345678" not in logs and "Demo-2026!" not in logs and "data-admin@big.ac.cn" not in logs


def test_other_people_cannot_see_the_project(platform, client_for):
    zhang = client_for("zhangxiaohan")
    mine = zhang.post("/api/v1/projects", json={**MANUAL_PROJECT, "name": "私有项目"}).json()
    wang = client_for("wangyuqing")
    assert wang.get(f"/api/v1/projects/{mine['id']}").status_code == 404
    assert mine["id"] not in [p["id"] for p in wang.get("/api/v1/projects").json()["items"]]


@pytest.mark.parametrize("username,code", [("zhaominghui", "authorisation_required"),
                                           ("foreign-user", "foreign_institution")])
def test_who_may_not_create_projects(platform, client_for, username, code):
    from pathlib import Path
    accounts = json.loads((Path(__file__).parents[1] / "deploy/demo-accounts.json").read_text())
    if username == "foreign-user":
        username = next(a["username"] for a in accounts if a.get("foreign") and a["role"] == "natural_person")
    response = client_for(username).post("/api/v1/projects", json={**MANUAL_PROJECT, "name": f"x-{code}"})
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"]


def test_refusals_change_nothing(platform, client_for):
    zhang = client_for("zhangxiaohan")
    before = zhang.get("/api/v1/projects").json()["total"]
    dup = zhang.post("/api/v1/projects", json={**MANUAL_PROJECT, "name": "重复名称"})
    assert dup.status_code == 201
    again = zhang.post("/api/v1/projects", json={**MANUAL_PROJECT, "name": "重复名称"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "project_name_taken"
    no_consent = zhang.post("/api/v1/projects", json={**MANUAL_PROJECT, "name": "无同意", "consent": False})
    assert no_consent.status_code == 400 and no_consent.json()["error"]["message_zh"]
    bad_mail = zhang.post("/api/v1/projects", json={**MANUAL_PROJECT, "name": "坏邮箱", "pi_email": "nope"})
    assert bad_mail.status_code == 400
    assert bad_mail.json()["error"]["details"]["fields"]["pi_email"][0] == {
        "code": "invalid_email", "message": "Not a valid email address.", "message_zh": "不是有效的电子邮箱地址。",
        "params": {}}
    assert zhang.get("/api/v1/projects").json()["total"] == before + 1


def test_health_and_openapi(platform, client_for):
    anonymous = client_for()
    health = anonymous.get("/api/v1/healthz")
    assert health.status_code == 200 and set(health.json()["services"]) >= {
        "identity", "projects", "backups", "verification", "registry-sync"}
    spec = anonymous.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/api/v1/projects" in spec["paths"]
    assert anonymous.get("/api/v1/projects").status_code == 401
