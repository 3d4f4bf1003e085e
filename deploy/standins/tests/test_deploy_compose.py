"""docker-compose.yml and the images' files: no Docker engine here, so check what can be checked."""
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
DOCKER = ROOT / "deploy" / "docker"
PLATFORM = ("identity", "projects", "backups", "verification", "registry-sync")


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_parses_and_wires_every_service():
    services = compose()["services"]
    for name in (*PLATFORM, "gateway", "rabbitmq", "postgres", "smtp-sink", "sms-sink", "hgrg", "repositories",
                 "provision"):
        assert name in services, name
    # The official images by default; hosts that cannot pull name locally built ones (deploy/README.md).
    assert services["rabbitmq"]["image"] == "${HGRIP_RABBITMQ_IMAGE:-rabbitmq:3.13-management}"
    assert services["postgres"]["image"] == "${HGRIP_POSTGRES_IMAGE:-postgres:15}"
    created = set(re.findall(r"CREATE DATABASE (\w+);", (DOCKER / "postgres-init.sql").read_text()))

    for name in (*PLATFORM, "gateway"):
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile.service"
        assert service["build"]["args"]["SERVICE"] == name
        env = service["environment"]
        assert env["HGRIP_AMQP_URI"] == "amqp://guest:guest@rabbitmq:5672/"
        assert env["HGRIP_HGRG_SHARED_SECRET"] and env["HGRIP_TOKEN_SECRET"]
        assert "healthcheck" in service and service["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        if name != "gateway":
            database = "hgrip_" + name.replace("-", "_")
            key = f"HGRIP_{name.upper().replace('-', '_')}_DATABASE_URL"
            assert env[key] == f"postgresql+psycopg2://postgres:postgres@postgres:5432/{database}"
            assert database in created
    assert services["gateway"]["ports"] == ["${HGRIP_BIND:-0.0.0.0}:${HGRIP_PORT_GATEWAY:-8000}:8000"]
    assert services["gateway"]["environment"]["HGRIP_GATEWAY_ADDRESS"] == "0.0.0.0:8000"
    assert services["verification"]["environment"]["HGRIP_REPOSITORIES_URL"] == "http://repositories:8040"
    assert services["verification"]["depends_on"]["repositories"]["condition"] == "service_healthy"
    assert services["repositories"]["command"] == ["python", "-m", "hgrip_standins.repositories"]
    assert services["provision"]["restart"] == "no"
    assert services["provision"]["depends_on"]["gateway"]["condition"] == "service_healthy"

    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
        assert "healthcheck" in service or name == "provision", name


def test_dockerfiles_copy_files_that_exist():
    for dockerfile in ("Dockerfile.service", "Dockerfile.standins"):
        text = (DOCKER / dockerfile).read_text()
        # COPY --from=<stage> copies between stages, not from the repository.
        for sources in re.findall(r"^COPY (?!.*--from=)(?:--\S+ )*(.+) \S+$", text, re.M):
            for source in sources.split():
                assert (ROOT / source).exists(), (dockerfile, source)
    service = (DOCKER / "Dockerfile.service").read_text()
    assert "ARG SERVICE" in service and 'ENTRYPOINT ["/usr/local/bin/hgrip-entrypoint"]' in service
    assert subprocess.run(["sh", "-n", str(DOCKER / "entrypoint.sh")]).returncode == 0


def _run_entrypoint(tmp_path, service, **env):
    """The real entrypoint with a fake `hgrip` that records its arguments (exec replaces the shell);
    `python` is this virtualenv's, whose installed entry points say which services have migrations."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "calls.txt"
    fake = bin_dir / "hgrip"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {record}\n')
    fake.chmod(0o755)
    record.unlink(missing_ok=True)
    path = f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}"
    done = subprocess.run([str(DOCKER / "entrypoint.sh")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": path, "SERVICE": service, **env})
    assert done.returncode == 0, done.stderr
    return record.read_text().splitlines()


def test_entrypoint_migrates_then_serves(tmp_path):
    assert _run_entrypoint(tmp_path, "identity") == ["migrate identity", "serve identity"]
    assert _run_entrypoint(tmp_path, "gateway") == ["serve gateway"]        # no database, no migration
    assert _run_entrypoint(tmp_path, "identity", HGRIP_SKIP_MIGRATE="1") == ["serve identity"]


def test_gateway_healthcheck(tmp_path, free_port):
    class Ok(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/api/v1/openapi.json" else 404)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    port = free_port()
    server = HTTPServer(("127.0.0.1", port), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "SERVICE": "gateway", "HGRIP_GATEWAY_ADDRESS": f"0.0.0.0:{port}"}
        check = [sys.executable, str(DOCKER / "healthcheck.py")]
        assert subprocess.run(check, env=env, timeout=30).returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    assert subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 1
