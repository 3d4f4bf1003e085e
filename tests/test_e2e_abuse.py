"""Abuse, over the real platform (every service, RabbitMQ, PostgreSQL, the gateway's Redis):

- a brute force of a 6-digit code is stopped long before it could succeed (the figures, then the 429s);
- a stranger guessing a researcher's password is slowed per (account, address) pair, and the owner
  logging in from another address (127.0.0.2, a second loopback address) is not, nor is any open session;
- an account that leaves its institution stops working at once on every route, its issued token and
  its browser session alike; a withdrawn authorisation stops what it allowed, at once.
"""
import json
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from hgrip_gateway.throttle import DEFAULT_LIMITS
from hgrip_kernel.signing import signed_headers
from hgrip_kernel.testing.fixtures import wait_until
from hgrip_standins.hgrg.provision import build_requests, load_accounts

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Demo-2026!"
CSRF = {"X-HGRIP-CSRF": "1"}
HOURS_PER_YEAR = 24 * 365
PROJECT = {"name": "暴力破解测试项目", "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
OMIX = {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}


class FromAddress(HTTPAdapter):
    """Connections from a chosen local address: another client, as the gateway sees its peer."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def log_in(platform, session, username, password):
    return session.post(f"{platform.gateway_url}/api/v1/auth/login",
                        json={"username": username, "password": password}, timeout=20)


def error_of(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_zh"], error
    return error


def assert_rate_limited(response):
    error = error_of(response, 429, "rate_limited")
    retry_after = int(response.headers["Retry-After"])
    assert retry_after > 0 and error["details"] == {"retry_after_seconds": retry_after}
    return retry_after


def worst_case_per_hour(name: str) -> float:
    """Attempts an hour a limit lets through at worst: a fixed window admits twice its limit around
    its edge (the end of one window and the start of the next)."""
    limit = DEFAULT_LIMITS[name]
    return 2 * limit.limit * 3600 / limit.window


# ---- a 6-digit code --------------------------------------------------------------------------------

def test_the_figures_put_a_6_digit_code_out_of_reach():
    codes = 10 ** 6
    # One account, even if it could try every code in turn against one code that never changed
    # (it cannot: 5 wrong tries lock a code, and a new one is random): half the codes, on average.
    one_account_hours = (codes / 2) / worst_case_per_hour("code_check_account")
    # Many accounts behind one address, each guess against a fresh random code: 10^6 guesses on average.
    one_address_hours = codes / worst_case_per_hour("code_check_address")
    for hours in (one_account_hours, one_address_hours):
        assert hours / HOURS_PER_YEAR > 1, hours
    assert one_account_hours / HOURS_PER_YEAR > 2.8          # 25 000 hours
    # The SMS code of a claim: the same 6 digits behind the same kind of limits.
    assert (codes / 2) / worst_case_per_hour("claim_account") / HOURS_PER_YEAR > 2.8


def test_guessing_an_e_mailed_code_is_stopped_with_429(platform, client_for, mailbox):
    zhang = client_for("zhangxiaohan")
    project = zhang.post("/api/v1/projects", json=PROJECT)
    assert project.status_code == 201, project.text
    backup = zhang.post(f"/api/v1/projects/{project.json()['id']}/backups",
                        json={"name": "暴力破解测试备份", "categories": ["targeted"]}).json()
    base = f"/api/v1/backups/{backup['id']}"
    omix = zhang.post(f"{base}/files", json=OMIX).json()
    assert omix["progress"] == "pending_verification"
    assert zhang.post(f"{base}/files/{omix['id']}/verification-code").status_code == 202
    code = wait_until(lambda: mailbox.latest_code("zhangxx@big.ac.cn"), message="the e-mailed code")
    wrong = "000000" if code != "000000" else "111111"
    allowed = DEFAULT_LIMITS["code_check_account"].limit
    answers = [zhang.post(f"{base}/files/{omix['id']}/verify", json={"code": wrong}) for _ in range(allowed + 5)]
    statuses = [answer.status_code for answer in answers]
    # The service's own lock first (5 wrong tries, then 423 on that code), then the gateway's limit.
    assert statuses[:5] == [400] * 5 and set(statuses[5:allowed]) == {423}, statuses
    for answer in answers[allowed:]:
        assert assert_rate_limited(answer) <= DEFAULT_LIMITS["code_check_account"].window
    # Even the right code waits now: the account's guesses are spent for this window.
    assert_rate_limited(zhang.post(f"{base}/files/{omix['id']}/verify", json={"code": code}))


# ---- passwords: the stranger, the owner elsewhere ----------------------------------------------------

def test_a_stranger_cannot_lock_the_owner_out(platform):
    owner_elsewhere, stranger = session_from("127.0.0.2"), session_from("127.0.0.1")
    opened = log_in(platform, owner_elsewhere, "wangyuqing", PASSWORD)
    assert opened.status_code == 200, opened.text
    token = opened.json()["access_token"]
    allowed = DEFAULT_LIMITS["login_pair"].limit
    for _ in range(allowed):
        error_of(log_in(platform, stranger, "wangyuqing", "guess-1234"), 401, "invalid_credentials")
    for _ in range(20):   # refused guesses count nowhere: the account's own limit never fills up
        assert_rate_limited(log_in(platform, stranger, "wangyuqing", "guess-1234"))
    # The pair is spent for anyone on it, even with the right password...
    assert_rate_limited(log_in(platform, stranger, "wangyuqing", PASSWORD))
    # ...but the owner from another address logs in, and the session already open works throughout.
    for _ in range(3):
        assert log_in(platform, owner_elsewhere, "wangyuqing", PASSWORD).status_code == 200
    me = owner_elsewhere.get(f"{platform.gateway_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                             timeout=20)
    assert me.status_code == 200 and me.json()["username"] == "wangyuqing"
    # And the stranger's address is not barred for the others who share it (a lab behind one NAT).
    assert log_in(platform, stranger, "liuhaoran", PASSWORD).status_code == 200


# ---- leaving, and losing the authorisation -----------------------------------------------------------

def put_account(platform, account: dict):
    _, (path, body) = build_requests([account])
    data = json.dumps(body).encode()
    secret = platform.env["HGRIP_HGRG_SHARED_SECRET"]
    answer = requests.put(f"{platform.gateway_url}{path}", data=data, timeout=20,
                          headers={"Content-Type": "application/json", **signed_headers(secret, "PUT", path, data)})
    assert answer.status_code == 200, answer.text


def new_member(platform, username: str, mobile: str) -> dict:
    zhang = next(a for a in load_accounts(ROOT / "deploy" / "demo-accounts.json") if a["username"] == "zhangxiaohan")
    account = {**zhang, "username": username, "name": "滥用测试", "mobile": mobile, "email": None}
    put_account(platform, account)
    return account


def signed_in_both_ways(platform, username):
    """(bearer headers, a browser session holding the cookie)."""
    token = log_in(platform, requests.Session(), username, PASSWORD).json()["access_token"]
    browser = requests.Session()
    opened = browser.post(f"{platform.gateway_url}/api/v1/auth/session", headers=CSRF, timeout=20,
                          json={"username": username, "password": PASSWORD})
    assert opened.status_code == 200 and browser.cookies.get("hgrip_session"), opened.text
    return {"Authorization": f"Bearer {token}"}, browser


def test_an_account_that_left_stops_working_at_once_token_and_cookie(platform):
    account = new_member(platform, "abuse-leaver", "13000000021")
    bearer, browser = signed_in_both_ways(platform, "abuse-leaver")
    url = platform.gateway_url
    assert requests.get(f"{url}/api/v1/me", headers=bearer, timeout=20).status_code == 200
    assert browser.get(f"{url}/api/v1/me", timeout=20).status_code == 200

    put_account(platform, {**account, "employed": False})   # HGRG: the person has left

    for answer in (requests.get(f"{url}/api/v1/me", headers=bearer, timeout=20),
                   requests.get(f"{url}/api/v1/projects", headers=bearer, timeout=20),
                   requests.post(f"{url}/api/v1/projects", headers=bearer, json=PROJECT, timeout=20),
                   browser.get(f"{url}/api/v1/me", timeout=20),
                   browser.get(f"{url}/api/v1/projects", timeout=20),
                   browser.post(f"{url}/api/v1/projects", headers=CSRF, json=PROJECT, timeout=20)):
        error = error_of(answer, 401, "account_inactive")
        assert "离开" in error["message_zh"]
    state = browser.get(f"{url}/api/v1/auth/session", timeout=20)
    assert state.json() == {"authenticated": False, "account": None}
    assert "Max-Age=0" in state.headers["Set-Cookie"]      # the browser forgets it
    error_of(log_in(platform, requests.Session(), "abuse-leaver", PASSWORD), 401, "account_inactive")
    error_of(log_in(platform, requests.Session(), "abuse-leaver", "guess-1234"), 401, "invalid_credentials")


def test_a_withdrawn_authorisation_stops_what_it_allowed_at_once(platform):
    account = new_member(platform, "abuse-revoked", "13000000022")
    bearer, browser = signed_in_both_ways(platform, "abuse-revoked")
    url = platform.gateway_url

    put_account(platform, {**account, "authorised": False})  # HGRG: the institution withdrew it

    error_of(requests.post(f"{url}/api/v1/projects", headers=bearer, json=PROJECT, timeout=20),
             403, "authorisation_required")
    error_of(browser.post(f"{url}/api/v1/projects", headers=CSRF, json=PROJECT, timeout=20),
             403, "authorisation_required")
    me = browser.get(f"{url}/api/v1/me", timeout=20).json()   # still signed in, to be told why
    assert me["authorised"] is False
