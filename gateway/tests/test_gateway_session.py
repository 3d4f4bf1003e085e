"""The browser's session: a cookie beside bearer tokens, the CSRF proof it needs, logout.

Real gateway over real RabbitMQ against a fake identity (which accepts GOOD_TOKEN) and a fake
projects service that records every call, so "refused, nothing done" is seen, not assumed.
"""
import jwt
import pytest
import requests
from nameko.rpc import rpc

# A token signed with the kernel fixture's TOKEN_SECRET: the gateway checks signatures itself.
GOOD_TOKEN = jwt.encode({"sub": "acc-1", "iat": 0, "exp": 2**32, "jti": "good"},
                        "test-token-secret-of-at-least-32-bytes", algorithm="HS256")
ACCOUNT = {"id": "acc-1", "username": "alice", "name": "Alice", "role": "natural_person",
           "mobile": "138****0000", "institution": {"code": "I1", "name": "Inst", "foreign": False},
           "unit": None, "real_name_verified": True, "authorised": True, "authorised_at": None,
           "employed": True}
PROJECT = {"id": "p-1", "name": "n", "pi_name": "p", "pi_email": "p@big.ac.cn",
           "institution": {"code": "I1", "name": "Inst"}, "unit": None, "owner_id": "acc-1",
           "created_at": "2026-01-01T00:00:00+00:00"}
CALLS: list = []
CSRF = {"X-HGRIP-CSRF": "1"}
LOGIN = {"username": "alice", "password": "right"}
BODY = {"name": "n", "pi_name": "p", "pi_email": "p@big.ac.cn", "consent": True}


class FakeProjects:
    name = "projects"

    @rpc
    def create_project(self, actor_id, body):
        CALLS.append(("create_project", actor_id))
        return PROJECT

    @rpc
    def list_projects(self, actor_id):
        CALLS.append(("list_projects", actor_id))
        return [PROJECT]


@pytest.fixture
def api(start_service, service_config, start_gateway, fake_identity):
    CALLS.clear()
    start_service(fake_identity(ACCOUNT), service_config("identity"))
    start_service(FakeProjects, service_config("projects"))
    return start_gateway(GATEWAY_RPC_TIMEOUT=5)


def send(api, method, path, *, cookie=None, headers=None, **kwargs):
    """One request with exactly these headers (no cookie jar, no bearer token)."""
    headers = dict(headers or {})
    if cookie is not None:
        headers["Cookie"] = f"hgrip_session={cookie}"
    return requests.request(method, api.base_url + path, headers=headers, timeout=30, **kwargs)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"]
    return error


def cookie_attributes(response, name="hgrip_session") -> dict:
    """One Set-Cookie's attributes (a browser login sets two: the session and the known device)."""
    for header in response.raw.headers.getlist("Set-Cookie"):
        name_value, *attributes = [part.strip() for part in header.split(";")]
        if name_value.startswith(f"{name}="):
            found = {"": name_value}
            for attribute in attributes:
                key, _, value = attribute.partition("=")
                found[key.lower()] = value
            return found
    raise AssertionError(f"no Set-Cookie {name}: {response.headers.get('Set-Cookie')}")


def test_login_sets_an_httponly_strict_cookie_and_answers_the_account(api):
    response = send(api, "POST", "/api/v1/auth/session", json=LOGIN, headers=CSRF)
    assert response.status_code == 200, response.text
    assert response.json() == ACCOUNT  # as GET /me: the page knows who logged in
    assert GOOD_TOKEN not in response.text  # the token is never in the body
    cookie = cookie_attributes(response)
    assert cookie == {"": f"hgrip_session={GOOD_TOKEN}", "httponly": "", "samesite": "Strict", "path": "/api/",
                      "max-age": "3600"}
    device = cookie_attributes(response, "hgrip_device")   # throttle.KnownDevices: login routes only
    assert (device["path"], device["samesite"], device["max-age"]) == ("/api/v1/auth/", "Strict", str(180 * 86400))
    assert "httponly" in device and "alice" not in device[""]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("headers", [{"X-Forwarded-Proto": "https"}, {"X-Forwarded-Proto": "https, http"}])
def test_the_cookie_is_secure_behind_https(api, headers):
    response = send(api, "POST", "/api/v1/auth/session", json=LOGIN, headers={**CSRF, **headers})
    assert response.status_code == 200 and "secure" in cookie_attributes(response)
    logout = send(api, "DELETE", "/api/v1/auth/session", headers={**CSRF, **headers})
    assert "secure" in cookie_attributes(logout)


def test_login_refusals_keep_their_statuses(api):
    assert_error(send(api, "POST", "/api/v1/auth/session", json={**LOGIN, "password": "wrong"}, headers=CSRF),
                 401, "invalid_credentials")
    assert_error(send(api, "POST", "/api/v1/auth/session", json={**LOGIN, "username": "left"}, headers=CSRF),
                 401, "account_inactive")
    error = assert_error(send(api, "POST", "/api/v1/auth/session", json={"username": "alice"}, headers=CSRF),
                         400, "invalid_input")
    assert error["details"]["fields"]["password"][0]["code"] == "required"


def test_the_session_routes_need_the_csrf_proof(api):
    for method, kwargs in (("POST", {"json": LOGIN}), ("DELETE", {})):
        response = send(api, method, "/api/v1/auth/session", **kwargs)
        assert_error(response, 403, "csrf_rejected")
        assert "Set-Cookie" not in response.headers
        response = send(api, method, "/api/v1/auth/session", headers={**CSRF, "Origin": "http://evil.example"},
                        **kwargs)
        assert_error(response, 403, "csrf_rejected")


def test_the_cookie_authenticates_reads_without_csrf(api):
    response = send(api, "GET", "/api/v1/me", cookie=GOOD_TOKEN)
    assert response.status_code == 200 and response.json()["username"] == "alice"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_invalid_cookie_is_invalid_token(api):
    response = send(api, "GET", "/api/v1/me", cookie="expired")
    assert_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(send(api, "GET", "/api/v1/me"), 401, "unauthenticated")


def test_unsafe_requests_by_cookie_need_the_header_and_a_same_origin(api):
    origin = api.base_url  # http://127.0.0.1:<port>, the Host requests sends
    refused = [
        {},                                                   # no header
        {"X-HGRIP-CSRF": "0"},                                # wrong value
        {**CSRF, "Origin": "http://evil.example"},            # another site
        {**CSRF, "Origin": origin.replace("127.0.0.1", "localhost")},  # another host name
        {**CSRF, "Origin": "null"},                           # an opaque origin
        {**CSRF, "Origin": origin + "1"},                     # another port
    ]
    for headers in refused:
        assert_error(send(api, "POST", "/api/v1/projects", cookie=GOOD_TOKEN, json=BODY, headers=headers),
                     403, "csrf_rejected")
    # A forged request with a bad cookie is refused as forged (nothing asked of identity either).
    assert_error(send(api, "POST", "/api/v1/projects", cookie="expired", json=BODY), 403, "csrf_rejected")
    assert CALLS == []
    for headers in (CSRF, {**CSRF, "Origin": origin}):
        response = send(api, "POST", "/api/v1/projects", cookie=GOOD_TOKEN, json=BODY, headers=headers)
        assert response.status_code == 201, response.text
    assert CALLS == [("create_project", "acc-1")] * 2


def test_bearer_tokens_need_no_csrf_proof_and_win_over_the_cookie(api):
    headers = {"Authorization": f"Bearer {GOOD_TOKEN}", "Origin": "http://elsewhere.example"}
    response = send(api, "POST", "/api/v1/projects", json=BODY, headers=headers)
    assert response.status_code == 201, response.text
    # The bearer token decides, even when a valid cookie is sent too.
    assert_error(send(api, "GET", "/api/v1/me", cookie=GOOD_TOKEN, headers={"Authorization": "Bearer expired"}),
                 401, "invalid_token")


def test_logout_clears_the_cookie_with_or_without_one(api):
    for cookie in (GOOD_TOKEN, "expired", None):
        response = send(api, "DELETE", "/api/v1/auth/session", cookie=cookie, headers=CSRF)
        assert response.status_code == 204 and response.content == b""
        assert "Content-Type" not in response.headers
        assert cookie_attributes(response) == {"": "hgrip_session=", "httponly": "", "samesite": "Strict",
                                               "path": "/api/", "max-age": "0"}


def test_a_browser_session_round_trip(api):
    browser = requests.Session()  # keeps the cookie as a browser does (Path=/api/)
    try:
        assert browser.post(api.base_url + "/api/v1/auth/session", json=LOGIN, headers=CSRF).status_code == 200
        assert browser.get(api.base_url + "/api/v1/projects").json()["total"] == 1
        assert browser.delete(api.base_url + "/api/v1/auth/session", headers=CSRF).status_code == 204
        assert_error(browser.get(api.base_url + "/api/v1/projects"), 401, "unauthenticated")
    finally:
        browser.close()


def test_the_session_question_is_answered_without_an_error(api):
    # A page asks first; a visitor with no session is an answer (200), not a 401 in the console.
    nobody = send(api, "GET", "/api/v1/auth/session")
    assert nobody.status_code == 200 and nobody.json() == {"authenticated": False, "account": None}
    assert "Set-Cookie" not in nobody.headers
    someone = send(api, "GET", "/api/v1/auth/session", cookie=GOOD_TOKEN)
    assert someone.status_code == 200 and someone.json() == {"authenticated": True, "account": ACCOUNT}
    assert someone.headers["Cache-Control"] == "no-store"
    # An expired or forged cookie is answered "not logged in" and cleared.
    stale = send(api, "GET", "/api/v1/auth/session", cookie="expired")
    assert stale.status_code == 200 and stale.json() == {"authenticated": False, "account": None}
    assert cookie_attributes(stale)["max-age"] == "0"
