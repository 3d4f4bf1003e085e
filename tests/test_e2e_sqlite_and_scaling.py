"""The embedded default (SQLite per service) end to end, and several instances of one service at once."""
import os
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}


def count(platform, service, sql):
    return platform.query(service, sql)[0][0]


def create_many(platform, names, Client):
    zhang = Client(platform.gateway_url, "zhangxiaohan")
    ids = []
    for name in names:
        response = zhang.post("/api/v1/projects", json={**PROJECT, "name": name})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return zhang, ids


# backups' inbox rows of ProjectCreated (it consumes identity's events too)
APPLIED_PROJECTS = "SELECT count(*) FROM inbox WHERE consumer = 'backups.on_project_created'"


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_platform_on_sqlite(launch_platform, client_class, tmp_path):
    platform = launch_platform(tmp_path, backend="sqlite")
    try:
        # One machine's cores: registry-sync's pushes yield to the request path (hgrip_kernel.niceness).
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert {key: niceness(process.pid) for key, process in platform.processes.items()} == {
            key: max(own, 19) if key == "registry-sync" else own for key in platform.processes}
        zhang, ids = create_many(platform, [f"嵌入式-{i}" for i in range(5)], client_class)
        assert sorted(p["id"] for p in zhang.get("/api/v1/projects").json()["items"]) == sorted(ids)
        wait_until(lambda: count(platform, "backups", "SELECT count(*) FROM known_projects") == 5,
                   message="backups applied every project")
        assert count(platform, "backups", APPLIED_PROJECTS) == 5
        assert all(str(url).startswith("sqlite:///") for k, url in platform.env.items()
                   if k.endswith("_DATABASE_URL"))
    finally:
        platform.stop_all()


def test_several_instances_compete_without_duplicates(launch_platform, client_class, tmp_path):
    platform = launch_platform(tmp_path, scale={"projects": 2, "backups": 2, "identity": 2})
    try:
        _, ids = create_many(platform, [f"并发实例-{i}" for i in range(30)], client_class)
        wait_until(lambda: count(platform, "backups", "SELECT count(*) FROM known_projects") == 30,
                   message="every project applied")
        assert count(platform, "backups", APPLIED_PROJECTS) == 30
        assert count(platform, "projects", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
        # Both processes of each scaled service did part of the work.
        logs = {path.stem: path.read_text() for path in (tmp_path / "logs").glob("*.log")}
        for service, consumer in (("projects", "create_project"), ("backups", "on_project_created")):
            busy = [name for name, text_ in logs.items() if name.startswith(service)
                    and f"{service}.{consumer}" in text_ and "entrypoint_done" in text_]
            assert len(busy) == 2, (service, busy)
        with ClusterRpcProxy({"AMQP_URI": platform.env["HGRIP_AMQP_URI"]}, timeout=10) as cluster:
            assert all(cluster.backups.get_known_project(i) for i in ids)
    finally:
        platform.stop_all()
