"""POST /api/v1/hgrg/filings over real RabbitMQ against a recording fake of backups: only a
request signed with the shared secret reaches backups.link_filing; the answer is passed on."""
import json

from nameko.rpc import rpc

from hgrip_kernel.errors import InvalidInput
from hgrip_kernel.signing import signed_headers

PATH = "/api/v1/hgrg/filings"
FILING = {"filing_number": "BA202601150001", "backup_numbers": ["BF2026011500001", "BF2099010100001"],
          "declared_mb": 120000, "recipient": "Pacific Genomics Ltd (US)",
          "filed_at": "2026-01-15T10:00:00+08:00"}


class FakeBackups:
    """Links filings in memory, idempotent by filing number, as the real service does."""
    name = "backups"
    calls: list = []
    linked: dict = {}   # filing number -> backup numbers linked

    @rpc
    def link_filing(self, payload):
        type(self).calls.append(payload)
        if payload["declared_mb"] > 1e15:
            raise InvalidInput("invalid_input", "The request contains invalid fields.", "请求包含无效字段。",
                               {"declared_mb": ["Too large."]})
        known = [n for n in payload["backup_numbers"] if n.startswith("BF2026")]
        type(self).linked.setdefault(payload["filing_number"], known)
        return {"filing_number": payload["filing_number"], "linked": known,
                "unknown": [n for n in payload["backup_numbers"] if n not in known],
                "not_for_hgrg": "dropped by the response schema"}


def post_signed(api, payload, *, secret=None, body=None, headers=None, path=PATH):
    data = body if body is not None else json.dumps(payload).encode()
    signed = signed_headers(secret or api.secret, "POST", path, json.dumps(payload).encode())
    return api.request("POST", PATH, data=data, token="",
                       headers={"Content-Type": "application/json", **(signed if headers is None else headers)})


def start(start_service, service_config, start_gateway):
    FakeBackups.calls, FakeBackups.linked = [], {}
    start_service(FakeBackups, service_config("backups"))
    return start_gateway(GATEWAY_RPC_TIMEOUT=2)


def test_a_badly_signed_filing_is_401_and_reaches_nobody(start_service, service_config, start_gateway):
    api = start(start_service, service_config, start_gateway)
    tampered = json.dumps({**FILING, "declared_mb": 1}).encode()
    for response in (post_signed(api, FILING, secret="guess"),
                     post_signed(api, FILING, headers={}),
                     post_signed(api, FILING, body=tampered),
                     post_signed(api, FILING, path="/api/v1/hgrg/accounts/x"),
                     api.post(PATH, json=FILING, headers={"Authorization": "Bearer someone"})):
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "invalid_signature"
        assert response.headers["WWW-Authenticate"].startswith("HGRG-HMAC")
    assert FakeBackups.calls == [] and FakeBackups.linked == {}


def test_a_signed_filing_is_linked_and_idempotent(start_service, service_config, start_gateway):
    api = start(start_service, service_config, start_gateway)
    first = post_signed(api, FILING)
    assert first.status_code == 200, first.text
    assert first.json() == {"filing_number": "BA202601150001", "linked": ["BF2026011500001"],
                            "unknown": ["BF2099010100001"]}
    again = post_signed(api, FILING)
    assert again.status_code == 200 and again.json() == first.json()
    assert FakeBackups.calls == [FILING, FILING]
    assert FakeBackups.linked == {"BA202601150001": ["BF2026011500001"]}


def test_a_malformed_filing_is_400(start_service, service_config, start_gateway):
    api = start(start_service, service_config, start_gateway)
    for bad in ({**FILING, "backup_numbers": []}, {**FILING, "declared_mb": "100"},
                {**FILING, "declared_mb": 0}, {**FILING, "extra": True},
                {key: value for key, value in FILING.items() if key != "recipient"}):
        response = post_signed(api, bad)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_input"
    assert FakeBackups.calls == []
    refused = post_signed(api, {**FILING, "declared_mb": 1e16})   # backups' own refusal passes through
    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == {"fields": {"declared_mb": [
        {"code": "invalid", "message": "Too large.", "message_zh": "此项不符合要求。", "params": {}}]}}
