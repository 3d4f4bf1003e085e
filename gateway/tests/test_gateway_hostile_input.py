"""Whatever a client sends, the gateway answers with its JSON error body and the right status.

Real gateway over real RabbitMQ against a fake identity (token GOOD_TOKEN) and a fake backups service
that records the queries it is given. Requests are written byte by byte on a socket where a client
library would encode or refuse them (raw UTF-8, bad framing, oversized lines).
"""
import base64
import json
import socket
import time
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from nameko.rpc import rpc

from hgrip_gateway.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_REQUEST_LINE_BYTES

# A token signed with the kernel fixture's TOKEN_SECRET: the gateway checks signatures itself.
GOOD_TOKEN = jwt.encode({"sub": "acc-1", "iat": 0, "exp": 2**32, "jti": "good"},
                        "test-token-secret-of-at-least-32-bytes", algorithm="HS256")
ACCOUNT = {"id": "acc-1", "username": "alice", "name": "Alice", "role": "legal_person",
           "mobile": "138****0000", "institution": {"code": "I1", "name": "Inst", "foreign": False},
           "unit": None, "real_name_verified": True, "authorised": True, "authorised_at": None,
           "employed": True}
QUERIES: list = []
AUTH = f"Authorization: Bearer {GOOD_TOKEN}\r\n"
LOGIN = {"username": "alice", "password": "right"}


class FakeBackups:
    name = "backups"

    @rpc
    def institution_members(self, actor_id, query):
        QUERIES.append(query)
        return {"items": [], "total": 0, "page": query.get("page", 1), "page_size": query.get("page_size", 20)}


@pytest.fixture
def api(start_service, service_config, start_gateway, fake_identity):
    QUERIES.clear()
    start_service(fake_identity(ACCOUNT), service_config("identity"))
    start_service(FakeBackups, service_config("backups"))
    return start_gateway(GATEWAY_RPC_TIMEOUT=5)


class Answer:
    def __init__(self, raw: bytes):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def assert_error(self, status: int, code: str) -> dict:
        """The JSON error body, checked for status, code, both messages and the headers every answer has."""
        assert self.status == status, (self.status, self.body)
        assert self.headers["content-type"] == "application/json; charset=utf-8"
        assert self.headers["x-content-type-options"] == "nosniff"
        assert self.headers["cache-control"] == "no-store"
        assert self.headers["x-request-id"]
        error = json.loads(self.body)["error"]
        assert error["code"] == code and error["message"] and error["message_zh"], error
        return error


def send_raw(api, data: bytes) -> Answer:
    """Write ``data`` as it is, then read the answer until the server closes the connection."""
    parts = urlsplit(api.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return Answer(received)


def request(method: str, target: bytes, headers: str = "", body: bytes = b"") -> bytes:
    """One HTTP/1.1 request that closes its connection; ``target`` goes on the wire unencoded."""
    return (method.encode() + b" " + target + b" HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n"
            + headers.encode("latin-1") + b"\r\n" + body)


def post_json(target: bytes, body: bytes, headers: str = "Content-Type: application/json\r\n") -> bytes:
    return request("POST", target, headers + f"Content-Length: {len(body)}\r\n", body)


LOGIN_PATH = b"/api/v1/auth/login"
MEMBERS = b"/api/v1/institution/members?name="


def test_the_openapi_document_states_these_answers_for_every_operation():
    from hgrip_gateway.service import openapi_document
    document = openapi_document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            assert "400" in operation["responses"], (method, path)  # bad encoding, unknown parameters
            if "requestBody" in operation:
                assert {"413", "415"} <= set(operation["responses"]), (method, path)
    description = document["info"]["description"]
    assert str(MAX_BODY_BYTES) in description and "unknown" in description and "414" in description


# ---- 1. the request target: raw UTF-8 works, bad bytes and controls are 400 ------------------------

def test_raw_utf8_in_the_query_means_what_its_percent_encoding_means(api):
    for target in (MEMBERS + "张晓寒".encode(), MEMBERS + b"%E5%BC%A0%E6%99%93%E5%AF%92"):
        answer = send_raw(api, request("GET", target, AUTH))
        assert answer.status == 200, answer.body
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert [query["name"] for query in QUERIES] == ["张晓寒", "张晓寒"]
    answer = send_raw(api, request("GET", MEMBERS + "张".encode(), AUTH))  # was a 500
    assert answer.status == 200 and QUERIES[-1]["name"] == "张"


@pytest.mark.parametrize("target, part", [
    (MEMBERS + b"\xff", "query"),                 # raw bytes that are not UTF-8
    (MEMBERS + b"\xe5\xbc", "query"),             # a character cut short
    (MEMBERS + b"%FF", "query"),                  # the same, percent-encoded
    (MEMBERS + b"%E5%BC", "query"),
    (MEMBERS + b"a%00b", "query"),                # control characters, encoded or raw
    (MEMBERS + b"a%0D%0Ab", "query"),
    (MEMBERS + b"a\x01b", "query"),
    (MEMBERS + b"a\tb", "query"),
    (b"/api/v1/projects/%FF", "path"),
    (b"/api/v1/projects/\xe5\xbc", "path"),
    (b"/api/v1/projects/a%00", "path"),
    (b"/api/v1/projects/a\x7fb", "path"),
])
def test_invalid_utf8_and_control_characters_are_400(api, target, part):
    error = send_raw(api, request("GET", target, AUTH)).assert_error(400, "invalid_encoding")
    assert error["details"]["part"] == part
    assert QUERIES == []  # refused before any service is asked


def test_unauthenticated_bad_targets_are_400_too(api):
    query = send_raw(api, request("GET", b"/api/v1/taxonomy?x=\xff")).assert_error(400, "invalid_encoding")
    page = send_raw(api, request("GET", b"/\xff")).assert_error(400, "invalid_encoding")  # a page path
    assert (query["details"]["part"], page["details"]["part"]) == ("query", "path")
    assert QUERIES == []


def test_unknown_query_parameters_are_refused_listing_them(api):
    for target in (b"/api/v1/me?foo=1&bar=", b"/api/v1/institution/members?name=a&foo=1&bar=2"):
        error = send_raw(api, request("GET", target, AUTH)).assert_error(400, "invalid_input")
        fields = error["details"]["fields"]
        assert {"foo", "bar"} <= set(fields)
        assert fields["foo"][0]["code"] == "unknown_field"
    assert QUERIES == []


# ---- 2. what the HTTP server itself refuses, as JSON ------------------------------------------------

@pytest.mark.parametrize("line, status, code", [
    (b"GET /api/v1/me?a=b c HTTP/1.1", 400, "bad_request"),     # a raw space in the target
    (b"GET /api/v1/me HTTP/2.0", 505, "http_version_not_supported"),
    (b"GET /api/v1/me HTTP/x.y", 400, "bad_request"),
    (b"\xe5\xbc\xa0 \xe6\x99\x93 \xe5\xaf\x92 x", 400, "bad_request"),
    (b"POST /api/v1/auth/login", 400, "bad_request"),            # HTTP/0.9 is GET only
])
def test_malformed_request_lines_are_json(api, line, status, code):
    answer = send_raw(api, line + b"\r\nHost: gateway\r\n\r\n")
    answer.assert_error(status, code)
    assert QUERIES == []  # nothing reached a service


def test_an_overlong_request_line_is_414_saying_the_limit(api):
    target = b"/api/v1/me?q=" + b"a" * MAX_REQUEST_LINE_BYTES
    error = send_raw(api, request("GET", target)).assert_error(414, "uri_too_long")
    assert error["details"]["params"] == {"limit_bytes": MAX_REQUEST_LINE_BYTES}


def test_oversized_headers_are_431(api):
    big = send_raw(api, request("GET", b"/api/v1/me", "X-Big: " + "a" * 9000 + "\r\n"))
    many = "".join(f"X-H{n}: {'a' * 600}\r\n" for n in range(120))  # 72 KB in all
    lots = send_raw(api, request("GET", b"/api/v1/me", many))
    for answer in (big, lots):
        answer.assert_error(431, "headers_too_large")
    assert QUERIES == []


@pytest.mark.parametrize("headers", [
    "Content-Length: abc\r\n",
    "Content-Length: -1\r\n",
    "Content-Length: 5\r\nContent-Length: 6\r\n",
    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    "Transfer-Encoding: gzip, chunked\r\n",
])
def test_untrustworthy_body_framing_is_400(api, headers):
    error = send_raw(api, request("POST", LOGIN_PATH, headers, b"{}\r\n")).assert_error(400, "bad_request")
    assert error["details"]["reason"]


# ---- 3. bodies: size, type, depth -------------------------------------------------------------------

def test_a_body_over_the_limit_is_413_before_it_is_sent(api):
    # Only the headers are sent: the answer comes from Content-Length alone.
    headers = f"Content-Type: application/json\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n"
    error = send_raw(api, request("POST", LOGIN_PATH, headers)).assert_error(413, "payload_too_large")
    assert error["details"]["params"] == {"limit_bytes": MAX_BODY_BYTES}
    assert str(MAX_BODY_BYTES) in error["message"] and str(MAX_BODY_BYTES) in error["message_zh"]


def chunked(body: bytes, size: int = 65536) -> bytes:
    pieces = [body[at:at + size] for at in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def test_chunked_bodies_are_read_and_bounded_while_read(api):
    headers = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    answer = send_raw(api, request("POST", LOGIN_PATH, headers, chunked(json.dumps(LOGIN).encode(), 7)))
    assert answer.status == 200 and json.loads(answer.body)["access_token"] == GOOD_TOKEN
    huge = b'{"username": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'
    error = send_raw(api, request("POST", LOGIN_PATH, headers, chunked(huge))).assert_error(413, "payload_too_large")
    assert error["details"]["params"] == {"limit_bytes": MAX_BODY_BYTES}
    broken = b"zz\r\n{}\r\n0\r\n\r\n"
    send_raw(api, request("POST", LOGIN_PATH, headers, broken)).assert_error(400, "bad_request")


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/json; charset=latin-1", "application/xml"])
def test_bodies_that_are_not_json_are_415(api, content_type):
    body = json.dumps(LOGIN).encode()
    error = send_raw(api, post_json(LOGIN_PATH, body, f"Content-Type: {content_type}\r\n")).assert_error(
        415, "unsupported_media_type")
    assert error["details"]["content_type"] == content_type.split(";")[0]


@pytest.mark.parametrize("content_type", [None, "application/json", "application/json; charset=UTF-8",
                                          "application/merge-patch+json"])
def test_json_bodies_are_accepted_with_or_without_a_content_type(api, content_type):
    headers = f"Content-Type: {content_type}\r\n" if content_type else ""
    answer = send_raw(api, post_json(LOGIN_PATH, json.dumps(LOGIN).encode(), headers))
    assert answer.status == 200, answer.body


def test_deep_json_is_refused_cheaply_and_brackets_in_strings_do_not_count(api):
    deep = b'{"username": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}"  # depth 33
    error = send_raw(api, post_json(LOGIN_PATH, deep)).assert_error(400, "json_too_deep")
    assert error["details"]["params"] == {"max_depth": MAX_JSON_DEPTH}
    just_deep_enough = b'{"x": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
    send_raw(api, post_json(LOGIN_PATH, just_deep_enough)).assert_error(400, "invalid_input")  # depth 32: parsed
    in_strings = json.dumps({"username": "[{" * 30 + "]", "password": "right"}).encode()
    assert send_raw(api, post_json(LOGIN_PATH, in_strings)).status == 200
    # A megabyte of brackets (json.loads would hit RecursionError: a 500 before) costs little.
    started = time.monotonic()
    send_raw(api, post_json(LOGIN_PATH, b"[" * (MAX_BODY_BYTES - 1))).assert_error(400, "json_too_deep")
    assert time.monotonic() - started < 2.0


def test_many_small_json_values_within_the_limit_are_parsed(api):
    wide = json.dumps({"username": "alice", "password": "right", "x": [[]] * 150_000}).encode()
    assert len(wide) < MAX_BODY_BYTES
    started = time.monotonic()
    error = send_raw(api, post_json(LOGIN_PATH, wide)).assert_error(400, "invalid_input")  # x is unknown
    assert error["details"]["fields"]["x"][0]["code"] == "unknown_field"
    assert time.monotonic() - started < 2.0


def test_nul_characters_in_any_json_string_are_refused_with_their_paths(api):
    # Found by schemathesis: a username holding U+0000 reached PostgreSQL, which cannot store it (500).
    body = json.dumps({"username": "b\u0000", "password": "right", "x": [{"y": "\u0000"}]}).encode()
    error = send_raw(api, post_json(LOGIN_PATH, body)).assert_error(400, "invalid_input")
    fields = error["details"]["fields"]
    assert set(fields) == {"username", "x.0.y"}
    assert fields["username"][0]["code"] == "control_characters"


# ---- 4. headers of every answer; no CORS ------------------------------------------------------------

@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/v1/me", 200), ("GET", "/api/v1/me?x=1", 400), ("GET", "/api/v1/projects", 401),
    ("GET", "/api/v1/nope", 404), ("DELETE", "/api/v1/me", 405), ("POST", "/api/v1/auth/login", 400)])
def test_every_api_answer_is_nosniff_and_no_store(api, method, path, status):
    headers = {"Authorization": f"Bearer {GOOD_TOKEN}"} if path.startswith("/api/v1/me") else {}
    response = requests.request(method, api.base_url + path, timeout=10, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_pages_are_nosniff_too(api):
    response = requests.get(api.base_url + "/projects", timeout=10)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_cross_origin_request_is_answered(api):
    evil = "http://evil.example"
    preflight = requests.options(api.base_url + "/api/v1/me", timeout=10, headers={
        "Origin": evil, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 405 and preflight.json()["error"]["code"] == "method_not_allowed"
    simple = requests.get(api.base_url + "/api/v1/me", timeout=10,
                          headers={"Origin": evil, "Authorization": f"Bearer {GOOD_TOKEN}"})
    for response in (preflight, simple):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


# ---- tokens signed with nothing, or tampered with, against the real identity ------------------------

IdentityService = pytest.importorskip("hgrip_identity.entrypoints.service").IdentityService
TOKEN_SECRET = "gateway-hostile-input-token-secret-0123456789"
INSTITUTION = {"name": "Inst", "foreign": False, "units": []}
RESEARCHER = {"password": "Secret2023", "name": "刘晓寒", "mobile": "13800000000", "role": "natural_person",
              "institution": "I1", "real_name_verified": True, "authorised": True,
              "authorised_at": "2023-06-01 16:00:00", "employed": True}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_unsigned_and_tampered_tokens_are_refused(make_database, service_config, start_service, start_gateway):
    config = service_config("identity", make_database("identity"))
    config["TOKEN_SECRET"] = TOKEN_SECRET
    start_service(IdentityService, config)
    api = start_gateway(GATEWAY_RPC_TIMEOUT=10, TOKEN_SECRET=TOKEN_SECRET)
    assert api.hgrg_put("/api/v1/hgrg/institutions/I1", INSTITUTION).status_code == 200
    assert api.hgrg_put("/api/v1/hgrg/accounts/liuxiaohan", RESEARCHER).status_code == 200
    token = api.login("liuxiaohan", "Secret2023").json()["access_token"]
    assert api.get("/api/v1/me").status_code == 200
    claims = jwt.decode(token, options={"verify_signature": False})
    operator = {**claims, "role": "operator"}
    header, _, signature = token.split(".")
    forged = [
        jwt.encode(claims, None, algorithm="none"),                           # alg: none, no signature
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        f"{header}.{_b64(operator)}.{signature}",                             # payload changed, old signature
        jwt.encode(operator, "a-guessed-secret-that-is-long-enough-too", algorithm="HS256"),
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),             # signature changed
    ]
    for candidate in forged:
        response = api.get("/api/v1/me", token=candidate)
        assert response.status_code == 401, (candidate, response.text)
        assert response.json()["error"]["code"] == "invalid_token"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        operator_route = api.get("/api/v1/operator/sync", token=candidate)
        assert operator_route.status_code == 401
