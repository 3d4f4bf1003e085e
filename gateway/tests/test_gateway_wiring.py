"""The gateway over real RabbitMQ against small fake services: HTTP plumbing, error mapping,
timeouts and correlation ids, independent of what the real services decide."""
import time

import eventlet
import jwt
import pytest
from nameko.rpc import rpc

from hgrip_kernel.errors import NotFound, Unauthorized
from hgrip_kernel.nameko import RequestContext

# A token signed with the kernel fixture's TOKEN_SECRET: the gateway checks signatures itself.
GOOD_TOKEN = jwt.encode({"sub": "acc-1", "iat": 0, "exp": 2**32, "jti": "good"},
                        "test-token-secret-of-at-least-32-bytes", algorithm="HS256")
ACCOUNT = {"id": "acc-1", "username": "alice", "name": "Alice", "role": "natural_person",
           "mobile": "138****0000", "institution": {"code": "I1", "name": "Inst", "foreign": False},
           "unit": None, "real_name_verified": True, "authorised": True, "authorised_at": None,
           "employed": True}
SEEN_CORRELATION_IDS = []


class FakeIdentity:
    """Accepts GOOD_TOKEN; remembers the correlation id each call arrived with."""
    name = "identity"
    ctx = RequestContext()

    @rpc
    def authenticate(self, token):
        SEEN_CORRELATION_IDS.append(self.ctx.correlation_id)
        if token != GOOD_TOKEN:
            raise Unauthorized("invalid_token", "bad token", "令牌无效")
        return {**ACCOUNT, "password_hash": "must never reach a client"}

    @rpc
    def health(self):
        return {"service": "identity", "ok": True, "database": "ok"}


class FakeProjects:
    """Fails in every way a service can fail."""
    name = "projects"

    @rpc
    def list_projects(self, actor_id):
        raise RuntimeError("db password is hunter2")

    @rpc
    def get_project(self, actor_id, project_id):
        if project_id == "slow":
            eventlet.sleep(10)
        raise NotFound("project_not_found", f"No project {project_id}.", f"项目 {project_id} 不存在。",
                       {"project_id": project_id})

    @rpc
    def health(self):
        eventlet.sleep(10)  # never answers in time


GOOD = {"Authorization": f"Bearer {GOOD_TOKEN}"}


@pytest.fixture(autouse=True)
def _forget_correlation_ids():
    SEEN_CORRELATION_IDS.clear()


@pytest.fixture
def api(start_service, service_config, start_gateway):
    start_service(FakeIdentity, service_config("identity"))
    start_service(FakeProjects, service_config("projects"))
    return start_gateway(GATEWAY_RPC_TIMEOUT=1, GATEWAY_HEALTH_TIMEOUT=0.5)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_zh"]
    assert isinstance(error["details"], dict)
    return error


def test_request_id_is_echoed_and_travels_over_rpc(api):
    response = api.get("/api/v1/me", headers={**GOOD, "X-Request-Id": "req-abc_123"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "req-abc_123"
    assert SEEN_CORRELATION_IDS == ["req-abc_123"]


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "semi;colon", "ünïcode"])
def test_an_insane_request_id_is_replaced(api, incoming):
    response = api.get("/api/v1/me", headers={**GOOD, "X-Request-Id": incoming.encode("utf-8")})
    replaced = response.headers["X-Request-Id"]
    assert replaced != incoming and len(replaced) == 36  # a uuid4
    assert [replaced] == SEEN_CORRELATION_IDS


def test_every_response_has_a_request_id(api):
    for response in (api.get("/api/v1/me", headers=GOOD), api.get("/nowhere"),
                     api.post("/api/v1/auth/login", data=b"{"), api.get("/api/v1/me")):
        assert response.headers.get("X-Request-Id")


def test_unknown_route_and_wrong_method(api):
    assert_error(api.get("/api/v1/nowhere"), 404, "not_found")
    response = api.request("DELETE", "/api/v1/projects", headers=GOOD)
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_bad_json_is_400_invalid_json(api):
    error = assert_error(api.post("/api/v1/auth/login", data=b'{"username": '), 400, "invalid_json")
    assert "reason" in error["details"]
    assert_error(api.post("/api/v1/auth/login", data=b"[1, 2]"), 400, "invalid_json")
    assert_error(api.post("/api/v1/auth/login", data="{}".encode("utf-16")), 400, "invalid_json")


def test_invalid_body_is_400_with_details_per_field(api):
    error = assert_error(api.post("/api/v1/auth/login", json={"username": "", "extra": 1}), 400, "invalid_input")
    assert set(error["details"]["fields"]) == {"username", "password", "extra"}


def test_missing_and_bad_tokens_are_401_with_a_challenge(api):
    response = api.get("/api/v1/me")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = api.get("/api/v1/me", headers={"Authorization": "Basic YWxpY2U6cHc="})
    assert_error(response, 401, "invalid_token")
    response = api.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    error = assert_error(response, 401, "invalid_token")
    assert error["message_zh"] == "访问令牌无效或已过期，请重新登录。"  # identity's words, refused here
    assert not SEEN_CORRELATION_IDS
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # A token the gateway cannot fault but identity refuses (an account it no longer knows):
    refused = jwt.encode({"sub": "acc-9", "iat": 0, "exp": 2**32, "jti": "gone"},
                         "test-token-secret-of-at-least-32-bytes", algorithm="HS256")
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {refused}"})
    error = assert_error(response, 401, "invalid_token")
    assert error["message_zh"] == "令牌无效"  # identity's own words, passed through


def test_responses_are_shaped_by_their_schema(api):
    body = api.get("/api/v1/me", headers=GOOD).json()
    assert body == ACCOUNT  # the extra password_hash of the fake was dropped


def test_domain_errors_keep_their_status_code_and_messages(api):
    error = assert_error(api.get("/api/v1/projects/p-9", headers=GOOD), 404, "project_not_found")
    assert error["message_zh"] == "项目 p-9 不存在。"
    assert error["details"] == {"project_id": "p-9"}


def test_unexpected_failures_are_500_without_internals(api):
    response = api.get("/api/v1/projects", headers=GOOD)
    assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text


def test_a_slow_service_is_503(api):
    started = time.monotonic()
    assert_error(api.get("/api/v1/projects/slow", headers=GOOD), 503, "service_unavailable")
    assert time.monotonic() - started < 5


def test_a_missing_service_is_503(start_service, service_config, start_gateway):
    start_service(FakeIdentity, service_config("identity"))
    api = start_gateway()  # no projects service on this broker at all
    error = assert_error(api.get("/api/v1/projects", headers=GOOD), 503, "service_unavailable")
    assert error["details"] == {"service": "projects"}


def test_healthz_marks_the_failing_services(api):
    started = time.monotonic()
    response = api.get("/api/v1/healthz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "services": {
        "identity": "ok", "projects": "timeout", "backups": "unavailable",
        "verification": "unavailable", "registry-sync": "unavailable"}}


def test_healthz_is_ok_when_every_service_answers(start_service, service_config, start_gateway, health_stub):
    for name in ("identity", "projects", "backups", "verification", "registry-sync"):
        start_service(health_stub(name), service_config(name))
    response = start_gateway().get("/api/v1/healthz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "services": {
        "identity": "ok", "projects": "ok", "backups": "ok", "verification": "ok", "registry-sync": "ok"}}


def test_openapi_is_served_without_a_token(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.0.3"
    assert "/api/v1/projects/{project_id}" in document["paths"]
