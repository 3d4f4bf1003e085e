"""Kill a service between commit and publish (and between publish and marking): nothing lost, nothing twice."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}



def created_event(platform, name):
    found = platform.query("projects", "SELECT event_id, stream_id, data FROM events "
                 "WHERE event_type = 'ProjectCreated'")
    return [r for r in found if r.data["name"] == name]


def crash_during_create(platform, client_for, fault, name):
    zhang = client_for("zhangxiaohan")
    platform.stop("projects")
    platform.start("projects", HGRIP_FAULT=f"crash:{fault}")
    wait_until(lambda: client_for().get("/api/v1/healthz").status_code == 200, timeout=30,
               message="faulty projects instance answering")
    try:
        zhang.post("/api/v1/projects", json={**PROJECT, "name": name}, timeout=15)
    except Exception:  # the service died mid-request: whatever the caller saw, the data decides
        pass
    assert platform.wait_exit("projects", timeout=30) == 70  # the fault point ended the process
    return zhang


@pytest.mark.parametrize("fault", ["after_commit", "after_publish"])
def test_crash_loses_nothing_and_applies_once(platform, client_for, fault):
    name = f"故障测试-{fault}"
    zhang = crash_during_create(platform, client_for, fault, name)
    events = created_event(platform, name)
    assert len(events) == 1  # the project was committed before the crash
    event_id, project_id = events[0].event_id, events[0].data["project_id"]
    if fault == "after_commit":
        unpublished = platform.query("projects", "SELECT published_at FROM outbox WHERE event_id = :e", e=event_id)
        assert unpublished[0].published_at is None  # the crash came before any publish

    platform.start("projects")  # a normal instance: its relay publishes what the dead one left
    with ClusterRpcProxy({"AMQP_URI": platform.env["HGRIP_AMQP_URI"]}, timeout=10) as cluster:
        wait_until(lambda: cluster.backups.get_known_project(project_id), timeout=30,
                   message="event delivered after restart")
    wait_until(lambda: platform.query("projects", "SELECT 1 FROM outbox WHERE event_id = :e "
                            "AND published_at IS NOT NULL", e=event_id), message="outbox row marked")
    import time
    time.sleep(1.0)  # give any duplicate time to arrive before counting
    assert len(platform.query("backups", "SELECT 1 FROM inbox WHERE event_id = :e", e=event_id)) == 1
    assert len(platform.query("backups", "SELECT 1 FROM known_projects WHERE project_id = :p",
                    p=project_id)) == 1
    # The redelivered RPC request found the project made: it exists once.
    assert len(created_event(platform, name)) == 1
    listed = zhang.get("/api/v1/projects").json()["items"]
    assert [p["name"] for p in listed].count(name) == 1
