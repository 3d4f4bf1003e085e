"""HMAC verification of HGRG provisioning requests (hgrip_kernel.signing underneath)."""
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from hgrip_gateway.errors import GatewayError
from hgrip_gateway.hgrg_auth import verify_hgrg_request
from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers

SECRET = "shared-secret"
PATH = "/api/v1/hgrg/accounts/alice"
NOW = 1_780_000_000
BODY = json.dumps({"name": "Alice", "role": "natural_person"}).encode()


def make_request(headers, body=BODY, path=PATH, method="PUT"):
    return Request(EnvironBuilder(method=method, path=path, data=body, headers=headers).get_environ())


def signed(secret=SECRET, method="PUT", path=PATH, body=BODY, at=NOW):
    return signed_headers(secret, method, path, body, now=at)


def refusal(request, secret=SECRET) -> str:
    with pytest.raises(GatewayError) as caught:
        verify_hgrg_request(request, secret, now=NOW)
    assert caught.value.code == "invalid_signature" and caught.value.http_status == 401
    return caught.value.details["reason"]


def test_a_correctly_signed_request_passes():
    # Refusals raise; a valid request returns nothing.
    assert verify_hgrg_request(make_request(signed()), SECRET, now=NOW) is None
    assert verify_hgrg_request(make_request(signed(at=NOW - 299)), SECRET, now=NOW) is None


def test_a_wrong_secret_is_refused():
    assert refusal(make_request(signed(secret="guess"))) == "the signature does not match"


def test_a_tampered_body_path_or_method_is_refused():
    assert refusal(make_request(signed(), body=BODY.replace(b"natural_person", b"legal_person")))
    assert refusal(make_request(signed(), path="/api/v1/hgrg/accounts/mallory"))
    assert refusal(make_request(signed(method="POST")))


def test_a_stale_or_future_timestamp_is_refused():
    assert "server clock" in refusal(make_request(signed(at=NOW - 301)))
    assert "server clock" in refusal(make_request(signed(at=NOW + 301)))


def test_missing_or_malformed_headers_are_refused():
    assert "missing" in refusal(make_request({}))
    assert "missing" in refusal(make_request({TIMESTAMP_HEADER: str(NOW)}))
    assert "unix seconds" in refusal(make_request({TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: "00"}))


def test_nothing_passes_when_no_secret_is_configured():
    assert "not configured" in refusal(make_request(signed(secret="")), secret="")
    assert "not configured" in refusal(make_request(signed()), secret=None)
