"""HGRG stand-in filing prior reports: filing numbers, only received backups cited, persistence,
and the signed callback to the platform (a small fake platform served by this test)."""
import json
import re
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers, verify

SECRET = "test-hgrg-secret"   # the conftest's HGRIP_HGRG_SHARED_SECRET
RECEIVE = "/hgrg/api/v1/backups"
CALLBACK = "/platform/api/v1/hgrg/filings"   # the platform served under a path prefix


class FakePlatform:
    """Records callbacks, checks their signatures, and refuses the first ``fail_first`` with 503."""

    def __init__(self, fail_first=0):
        self.received, self.fail_first = [], fail_first
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = verify(SECRET, "POST", self.path, self.headers.get(TIMESTAMP_HEADER),
                               self.headers.get(SIGNATURE_HEADER), body)
                platform.received.append({"path": self.path, "valid": valid, "body": json.loads(body)})
                if platform.fail_first > 0:
                    platform.fail_first -= 1
                    status, answer = 503, {"error": {"code": "service_unavailable"}}
                elif not valid:
                    status, answer = 401, {"error": {"code": "invalid_signature"}}
                else:
                    filing = json.loads(body)
                    status, answer = 200, {"filing_number": filing["filing_number"],
                                           "linked": filing["backup_numbers"], "unknown": []}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/platform"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_platform():
    made = []

    def make(**options):
        made.append(FakePlatform(**options))
        return made[-1]

    yield make
    for platform in made:
        platform.close()


def receive(base, number):
    body = json.dumps({"backup_number": number}).encode()
    response = requests.post(base + RECEIVE, data=body, timeout=10, headers={
        "Content-Type": "application/json", **signed_headers(SECRET, "POST", RECEIVE, body)})
    assert response.status_code in (200, 201), response.text


def file(base, **changes):
    body = {"backup_numbers": ["BF2026011500001"], "declared_mb": 120000, "recipient": "Pacific Genomics Ltd (US)"}
    body.update(changes)
    return requests.post(base + "/hgrg/control/filings", json=body, timeout=30)


def test_a_filing_gets_a_number_and_reaches_the_platform_signed(standin, fake_platform, tmp_path, free_port):
    platform = fake_platform(fail_first=1)   # the first callback attempt finds the platform away
    port = free_port()
    address, process = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS", port=port,
                               extra_env={"HGRIP_PLATFORM_URL": platform.url})
    base = f"http://{address}"
    receive(base, "BF2026011500001")
    receive(base, "BF2026011500002")

    first = file(base, backup_numbers=["BF2026011500001", "BF2026011500002", "BF2026011500001"])
    assert first.status_code == 201, first.text
    filing = first.json()
    day = datetime.now(timezone(timedelta(hours=8))).strftime("%Y%m%d")
    assert filing["filing_number"] == f"BA{day}0001"
    assert re.fullmatch(r"BA\d{8}\d{4}", filing["filing_number"])
    assert filing["backup_numbers"] == ["BF2026011500001", "BF2026011500002"]
    assert (filing["declared_mb"], filing["recipient"]) == (120000, "Pacific Genomics Ltd (US)")
    assert datetime.fromisoformat(filing["filed_at"]).utcoffset() == timedelta(hours=8)
    assert filing["callback"]["delivered"] is True and filing["callback"]["attempts"] == 2
    assert filing["callback"]["answer"]["linked"] == ["BF2026011500001", "BF2026011500002"]

    sent = {key: filing[key] for key in ("filing_number", "backup_numbers", "declared_mb", "recipient", "filed_at")}
    assert [(r["path"], r["valid"], r["body"]) for r in platform.received] == [(CALLBACK, True, sent)] * 2

    # One backup, several filings (one per recipient): the serial goes on.
    second = file(base, recipient="Recipient B", declared_mb=1.5)
    assert second.status_code == 201 and second.json()["filing_number"] == f"BA{day}0002"

    lines = (tmp_path / "var" / "hgrg" / "filings.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["filing_number"] for line in lines] == [f"BA{day}0001", f"BA{day}0002"]
    listed = requests.get(base + "/hgrg/control/filings", timeout=5).json()
    assert listed["count"] == 2

    # A restart keeps the filings: serials are never reused.
    process.terminate()
    assert process.wait(timeout=10) == 0
    standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS", port=port,
            extra_env={"HGRIP_PLATFORM_URL": platform.url})
    assert file(base).json()["filing_number"] == f"BA{day}0003"


def test_only_received_backup_numbers_may_be_cited(standin, fake_platform, tmp_path):
    platform = fake_platform()
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS",
                         extra_env={"HGRIP_PLATFORM_URL": platform.url})
    base = f"http://{address}"
    receive(base, "BF2026011500001")
    refused = file(base, backup_numbers=["BF2026011500001", "BF2026011599999"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "unknown_backup_number" and "BF2026011599999" in refused.json()["message"]
    for bad in ({"backup_numbers": []}, {"backup_numbers": "BF2026011500001"}, {"declared_mb": 0},
                {"declared_mb": "10"}, {"declared_mb": True}, {"recipient": " "}):
        assert file(base, **bad).status_code == 400, bad
    assert platform.received == []
    assert not (tmp_path / "var" / "hgrg" / "filings.jsonl").exists() or \
        (tmp_path / "var" / "hgrg" / "filings.jsonl").read_text() == ""


def test_a_platform_that_stays_away_leaves_the_filing_on_file(standin, free_port, tmp_path):
    address, _ = standin(["hgrip_standins.hgrg", "serve"], "HGRIP_HGRG_ADDRESS",
                         extra_env={"HGRIP_PLATFORM_URL": f"http://127.0.0.1:{free_port()}"})
    base = f"http://{address}"
    receive(base, "BF2026011500001")
    answer = file(base)
    assert answer.status_code == 201
    assert answer.json()["callback"] == {"delivered": False, "status": None, "attempts": 5, "answer": None}
    assert requests.get(base + "/hgrg/control/filings", timeout=5).json()["count"] == 1
