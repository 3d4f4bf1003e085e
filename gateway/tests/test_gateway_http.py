"""End to end over real HTTP, RabbitMQ and PostgreSQL: the gateway with the REAL identity and
projects services (backups, verification and registry-sync are health-only stand-ins)."""
import pytest
import requests

IdentityService = pytest.importorskip("hgrip_identity.entrypoints.service").IdentityService
ProjectsService = pytest.importorskip("hgrip_projects.entrypoints.service").ProjectsService

TOKEN_SECRET = "gateway-integration-test-token-secret-0123456789"  # HS256 wants >= 32 bytes
INSTITUTION = {"name": "中国科学院北京基因组研究所", "foreign": False,
               "units": [{"code": "U-001", "name": "国家生物信息中心"}]}
INSTITUTION_PATH = "/api/v1/hgrg/institutions/12100000400000624D"
ACCOUNT_PATH = "/api/v1/hgrg/accounts/liuxiaohan"
ACCOUNT = {"password": "Secret2023", "name": "刘晓寒", "mobile": "13800000000", "role": "natural_person",
           "institution": "12100000400000624D", "unit": "U-001", "real_name_verified": True,
           "authorised": True, "authorised_at": "2023-06-01 16:00:00", "employed": True}
PROJECT = {"name": "肺癌队列全基因组", "pi_name": "张三", "pi_email": "zhangsan@big.ac.cn", "consent": True}
STAND_INS = ("backups", "verification", "registry-sync")


@pytest.fixture
def platform(make_database, service_config, start_service, start_gateway, health_stub):
    """Identity and projects on their own databases, stand-ins, and a gateway; returns (client, stand-ins)."""
    for name, cls in (("identity", IdentityService), ("projects", ProjectsService)):
        config = service_config(name, make_database(name))
        config["TOKEN_SECRET"] = TOKEN_SECRET
        start_service(cls, config)
    stand_ins = {name: start_service(health_stub(name), service_config(name)) for name in STAND_INS}
    return start_gateway(GATEWAY_HEALTH_TIMEOUT=1, TOKEN_SECRET=TOKEN_SECRET), stand_ins


@pytest.fixture
def api(platform):
    return platform[0]


@pytest.fixture
def provisioned(api):
    """An institution and an eligible researcher, provisioned the way HGRG does it."""
    response = api.hgrg_put(INSTITUTION_PATH, INSTITUTION)
    assert response.status_code == 200, response.text
    response = api.hgrg_put(ACCOUNT_PATH, ACCOUNT)
    assert response.status_code == 200, response.text
    return api


def error_code(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def test_hgrg_provisioning_is_idempotent(api):
    first = api.hgrg_put(INSTITUTION_PATH, INSTITUTION)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True
    assert first.json()["institution"]["code"] == "12100000400000624D"
    assert first.json()["institution"]["units"] == INSTITUTION["units"]
    assert api.hgrg_put(INSTITUTION_PATH, INSTITUTION).json()["changed"] is False

    account = api.hgrg_put(ACCOUNT_PATH, ACCOUNT)
    assert account.status_code == 200, account.text
    body = account.json()
    assert body["changed"] is True and body["account"]["username"] == "liuxiaohan"
    assert body["account"]["mobile"] == "138****0000"  # masked on the way out
    assert "password" not in body["account"]
    assert api.hgrg_put(ACCOUNT_PATH, ACCOUNT).json()["changed"] is False


def test_login_then_me(provisioned):
    api = provisioned
    response = api.post("/api/v1/auth/login", json={"username": "liuxiaohan", "password": "Secret2023"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = api.get("/api/v1/me", token=body["access_token"])
    assert me.status_code == 200, me.text
    account = me.json()
    assert (account["username"], account["name"], account["role"]) == ("liuxiaohan", "刘晓寒", "natural_person")
    assert account["institution"] == {"code": "12100000400000624D", "name": INSTITUTION["name"], "foreign": False}
    assert account["unit"] == {"code": "U-001", "name": "国家生物信息中心"}
    assert account["mobile"] == "138****0000"


def test_wrong_password_is_401_from_identity(provisioned):
    response = provisioned.post("/api/v1/auth/login", json={"username": "liuxiaohan", "password": "Wrong2023"})
    assert error_code(response, 401) == "invalid_credentials"
    assert response.json()["error"]["message_zh"]


def test_bad_json_missing_token_and_invalid_body(provisioned):
    api = provisioned
    assert error_code(api.post("/api/v1/auth/login", data=b"{'username': 1}"), 400) == "invalid_json"
    response = api.get("/api/v1/me")
    assert error_code(response, 401) == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_code(api.get("/api/v1/projects", token="not-a-token"), 401) == "invalid_token"
    api.login("liuxiaohan", "Secret2023")
    response = api.post("/api/v1/projects", json={"name": "", "pi_email": "x", "consent": "yes", "owner": 1})
    assert error_code(response, 400) == "invalid_input"
    problems = response.json()["error"]["details"]["fields"]
    assert set(problems) == {"name", "pi_name", "pi_email", "consent", "owner"}
    assert problems["pi_name"][0]["code"] == "required" and problems["pi_name"][0]["message_zh"] == "此项为必填项。"
    assert problems["name"][0]["params"] == {"min": 1, "max": 200}


def test_create_project_then_list_and_get(provisioned):
    api = provisioned
    api.login("liuxiaohan", "Secret2023")
    response = api.post("/api/v1/projects", json=PROJECT)
    assert response.status_code == 201, response.text
    project = response.json()
    assert project["name"] == PROJECT["name"] and project["pi_email"] == PROJECT["pi_email"]
    assert project["institution"] == {"code": "12100000400000624D", "name": INSTITUTION["name"]}
    assert response.headers["Location"] == f"/api/v1/projects/{project['id']}"

    listed = api.get("/api/v1/projects")
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 1
    assert [item["id"] for item in listed.json()["items"]] == [project["id"]]
    fetched = api.get(response.headers["Location"])
    assert fetched.status_code == 200 and fetched.json() == project

    again = api.post("/api/v1/projects", json=PROJECT)  # names are unique per account
    assert again.status_code == 409, again.text
    refused = api.post("/api/v1/projects", json={**PROJECT, "name": "another", "consent": False})
    assert error_code(refused, 400) == "consent_required"


def test_an_unauthorised_researcher_is_refused_by_projects(provisioned):
    api = provisioned
    response = api.hgrg_put("/api/v1/hgrg/accounts/zhaominghui",
                            {**ACCOUNT, "name": "赵明辉", "mobile": "17755556666", "authorised": False,
                             "authorised_at": None})
    assert response.status_code == 200, response.text
    api.login("zhaominghui", "Secret2023")
    response = api.post("/api/v1/projects", json=PROJECT)
    assert error_code(response, 403) == "authorisation_required"
    assert response.json()["error"]["message_zh"].startswith("账号需在人遗系统")


def test_badly_signed_hgrg_put_changes_nothing(provisioned):
    api = provisioned
    evil = {**ACCOUNT, "password": "Takeover2023", "name": "Mallory"}
    response = api.hgrg_put(ACCOUNT_PATH, evil, secret="guessed-secret")
    assert error_code(response, 401) == "invalid_signature"
    response = api.hgrg_put(ACCOUNT_PATH, evil, headers={"X-HGRG-Timestamp": "1000000000"})  # replayed
    assert error_code(response, 401) == "invalid_signature"
    response = api.request("PUT", ACCOUNT_PATH, json=evil)  # unsigned
    assert error_code(response, 401) == "invalid_signature"

    refused = api.post("/api/v1/auth/login", json={"username": "liuxiaohan", "password": "Takeover2023"})
    assert refused.status_code == 401
    api.login("liuxiaohan", "Secret2023")
    assert api.get("/api/v1/me").json()["name"] == "刘晓寒"


def test_request_id_is_echoed(api):
    response = api.get("/api/v1/healthz", headers={"X-Request-Id": "trace-me-42"})
    assert response.headers["X-Request-Id"] == "trace-me-42"
    response = api.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"},
                        headers={"X-Request-Id": "bad id"})
    assert response.headers["X-Request-Id"] != "bad id" and len(response.headers["X-Request-Id"]) == 36


def test_healthz_200_when_all_up_then_503_when_one_goes(platform):
    api, stand_ins = platform
    response = api.get("/api/v1/healthz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "services": {
        "identity": "ok", "projects": "ok", "backups": "ok", "verification": "ok", "registry-sync": "ok"}}

    stand_ins["verification"].stop()
    response = api.get("/api/v1/healthz")
    assert response.status_code == 503, response.text
    services = response.json()["services"]
    assert services.pop("verification") in ("timeout", "unavailable")
    assert set(services.values()) == {"ok"}


def test_a_browser_session_with_the_real_identity(provisioned):
    """The session route answers the very account /me answers, and the cookie works as the token does."""
    csrf = {"X-HGRIP-CSRF": "1"}
    browser = requests.Session()
    try:
        login = browser.post(provisioned.base_url + "/api/v1/auth/session", headers=csrf,
                             json={"username": "liuxiaohan", "password": "Secret2023"})
        assert login.status_code == 200, login.text
        assert "access_token" not in login.json()
        assert browser.get(provisioned.base_url + "/api/v1/me").json() == login.json()
        created = browser.post(provisioned.base_url + "/api/v1/projects", json=PROJECT, headers=csrf)
        assert created.status_code == 201, created.text
        forged = browser.post(provisioned.base_url + "/api/v1/projects", json={**PROJECT, "name": "伪造"})
        assert error_code(forged, 403) == "csrf_rejected"
        assert [p["name"] for p in browser.get(provisioned.base_url + "/api/v1/projects").json()["items"]] == \
            [PROJECT["name"]]
        wrong = browser.post(provisioned.base_url + "/api/v1/auth/session", headers=csrf,
                             json={"username": "liuxiaohan", "password": "wrong"})
        assert error_code(wrong, 401) == "invalid_credentials"
    finally:
        browser.close()
