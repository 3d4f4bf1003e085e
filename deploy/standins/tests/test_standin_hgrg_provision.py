"""The provisioning client against a small fake gateway that records requests and checks signatures."""
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from hgrip_standins.hgrg import ProvisioningError, build_requests, institution_code, load_accounts, provision, unit_code

SECRET = "provisioning-test-secret"
ACCOUNTS = Path(__file__).resolve().parents[2] / "demo-accounts.json"


class FakeGateway(BaseHTTPRequestHandler):
    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = verify(SECRET, "PUT", self.path, self.headers.get(TIMESTAMP_HEADER),
                        self.headers.get(SIGNATURE_HEADER), body)
        self.server.calls.append({"path": self.path, "body": json.loads(body), "signed": signed})
        status = self.server.answers.pop(0) if self.server.answers else (200 if signed else 401)
        data = json.dumps({"ok": status < 300}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(free_port):
    """`gateway(delay=0, answers=())` → (url, server); the server starts listening after `delay` s."""
    servers = []

    def start(delay: float = 0, answers=()):
        port = free_port()

        def serve():
            time.sleep(delay)
            server = ThreadingHTTPServer(("127.0.0.1", port), FakeGateway)
            server.calls, server.answers = calls, list(answers)
            servers.append(server)
            server.serve_forever(poll_interval=0.1)

        calls = []
        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{port}", calls

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_provision_pushes_institutions_then_accounts_signed(gateway):
    url, calls = gateway()
    results = provision(ACCOUNTS, url, SECRET, timeout=30, log=lambda _: None)
    accounts = load_accounts(ACCOUNTS)
    assert len(results) == len(calls) == len(accounts) + 3
    assert all(call["signed"] for call in calls)

    institutions = [c for c in calls if c["path"].startswith("/api/v1/hgrg/institutions/")]
    assert calls[:3] == institutions   # institutions before the accounts that refer to them
    ngdc = "国家基因组科学数据中心测试"
    first = next(c for c in institutions if c["body"]["name"] == ngdc)
    assert first["path"] == f"/api/v1/hgrg/institutions/{institution_code(ngdc)}"
    assert first["body"]["foreign"] is False
    assert {u["name"] for u in first["body"]["units"]} == {"生物信息研究部", "数据资源部"}
    assert [c["body"]["foreign"] for c in institutions].count(True) == 1

    by_user = {c["path"].rsplit("/", 1)[1]: c["body"] for c in calls if "/accounts/" in c["path"]}
    zhang = by_user["zhangxiaohan"]
    assert zhang["name"] == "张晓寒" and zhang["role"] == "natural_person"
    assert zhang["institution"] == institution_code(ngdc)
    assert zhang["unit"] == unit_code(ngdc, "生物信息研究部")
    assert zhang["authorised"] is True and zhang["real_name_verified"] is True and zhang["employed"] is True
    assert zhang["password"] and "authorised_at" in zhang
    assert zhang["email"] == "zhangxiaohan@ngdc-demo.example.cn"   # passed on: the notices go there
    assert by_user["operator"]["institution"] is None and by_user["operator"]["unit"] is None
    assert by_user["ngdc-legal"]["unit"] is None


def test_provision_waits_for_a_gateway_that_is_still_starting(gateway):
    url, calls = gateway(delay=1.5, answers=[503, 502])   # not listening, then "starting", then up
    started = time.monotonic()
    provision(ACCOUNTS, url, SECRET, timeout=30, log=lambda _: None)
    assert time.monotonic() - started >= 1.5
    assert len([c for c in calls if c["signed"]]) == len(calls) == len(load_accounts(ACCOUNTS)) + 3 + 2


def test_provision_stops_on_refusal_and_at_the_deadline(gateway, free_port):
    url, calls = gateway(answers=[400])
    with pytest.raises(ProvisioningError, match="400"):
        provision(ACCOUNTS, url, SECRET, timeout=30, log=lambda _: None)
    assert len(calls) == 1
    url, _ = gateway()
    with pytest.raises(ProvisioningError, match="401"):
        provision(ACCOUNTS, url, "not-the-secret", timeout=30, log=lambda _: None)
    started = time.monotonic()
    with pytest.raises(ProvisioningError, match="deadline"):
        provision(ACCOUNTS, f"http://127.0.0.1:{free_port()}", SECRET, timeout=1, log=lambda _: None)
    assert time.monotonic() - started < 10


def test_codes_are_stable_and_overridable():
    assert institution_code("国家基因组科学数据中心测试") == institution_code("国家基因组科学数据中心测试")
    assert institution_code("甲").startswith("INST-") and len(institution_code("甲")) == 15
    assert unit_code("甲", "数据资源部") != unit_code("乙", "数据资源部")
    requests = build_requests([{"username": "u", "password": "Demo-2026!", "name": "n", "role": "natural_person",
                                "institution": "甲", "institution_code": "INST-X", "unit": "部",
                                "unit_code": "UNIT-Y", "real_name_verified": True, "authorised": True}])
    assert requests[0] == ("/api/v1/hgrg/institutions/INST-X",
                           {"name": "甲", "foreign": False, "units": [{"code": "UNIT-Y", "name": "部"}]})
    assert requests[1][1]["institution"] == "INST-X" and requests[1][1]["unit"] == "UNIT-Y"
    with pytest.raises(ProvisioningError):
        build_requests([{"username": "a", "institution": "甲", "foreign": True},
                        {"username": "b", "institution": "甲", "foreign": False}])


def test_provision_cli(gateway):
    url, calls = gateway()
    env = {**os.environ, "HGRIP_HGRG_SHARED_SECRET": SECRET}
    done = subprocess.run([sys.executable, "-m", "hgrip_standins.hgrg", "provision", "--accounts", str(ACCOUNTS),
                           "--gateway", url, "--timeout", "20"], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(calls) == len(load_accounts(ACCOUNTS)) + 3 and all(c["signed"] for c in calls)
