"""Rate limits (throttle.py) on the real Redis of these machines (127.0.0.1:6379), and through two real
gateways sharing it: 429 rate_limited with Retry-After, the stranger slowed, the owner elsewhere not.

Each test counts under a namespace of its own, so runs side by side never share a counter.
"""
import uuid

import jwt
import pytest
import redis
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from hgrip_gateway.throttle import (
    DEFAULT_REDIS_URL,
    KnownDevices,
    Limit,
    Throttle,
    client_address,
    parse_limits,
    refused,
    trusted_networks,
    wrong_password,
)
from hgrip_kernel.errors import InvalidInput, TooManyRequests, Unauthorized

# A token signed with the kernel fixture's TOKEN_SECRET: the gateway checks signatures itself.
GOOD_TOKEN = jwt.encode({"sub": "acc-1", "iat": 0, "exp": 2**32, "jti": "good"},
                        "test-token-secret-of-at-least-32-bytes", algorithm="HS256")
ACCOUNT = {"id": "acc-1", "username": "alice", "name": "Alice", "role": "natural_person",
           "mobile": "138****0000", "institution": {"code": "I1", "name": "Inst", "foreign": False},
           "unit": None, "real_name_verified": True, "authorised": True, "authorised_at": None,
           "employed": True, "email": None}
OWNER = {"username": "alice", "password": "right"}
STRANGER = {"username": "alice", "password": "guess"}


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(DEFAULT_REDIS_URL)
    client.ping()
    yield client
    client.close()


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def make_throttle(redis_client, clock, **limits):
    return Throttle(redis_client, f"test-{uuid.uuid4().hex}", {**parse_limits(None), **limits}, clock=clock)


def test_a_limit_refuses_with_the_seconds_left_in_its_window(redis_client):
    clock = Clock(1_000_000.0)      # 1_000_000 = 1111 windows of 900 s + 100 s: 800 s left
    throttle = make_throttle(redis_client, clock, login_pair=Limit(3, 900))
    for _ in range(3):
        throttle.take([("login_pair", "alice\n10.0.0.1")])
    with pytest.raises(TooManyRequests) as info:
        throttle.take([("login_pair", "alice\n10.0.0.1")])
    assert info.value.code == "rate_limited" and info.value.details == {"retry_after_seconds": 800}
    assert info.value.message and "稍后再试" in info.value.message_zh
    throttle.take([("login_pair", "alice\n10.0.0.2")])   # another pair: its own count
    clock.now += 800                                      # the next window
    throttle.take([("login_pair", "alice\n10.0.0.1")])


def test_a_refused_attempt_counts_nowhere(redis_client):
    """A stranger hammering a spent pair must not push the account's own counter up."""
    throttle = make_throttle(redis_client, Clock(), login_pair=Limit(2, 900), login_account=Limit(5, 3600))
    checks = [("login_pair", "alice\n10.0.0.1"), ("login_account", "alice")]
    throttle.take(checks)
    throttle.take(checks)
    for _ in range(50):
        with pytest.raises(TooManyRequests):
            throttle.take(checks)
    for _ in range(3):   # 2 + 3 = 5 on the account: from other addresses, still allowed
        throttle.take([("login_pair", f"alice\n10.0.1.{_}"), ("login_account", "alice")])


def test_attempt_keeps_only_what_counts(redis_client):
    throttle = make_throttle(redis_client, Clock(), login_pair=Limit(2, 900))
    checks = [("login_pair", "alice\n10.0.0.1")]

    def wrong():
        raise Unauthorized("invalid_credentials", "no", "否")

    for _ in range(10):   # successes and outages are given back
        assert throttle.attempt(checks, lambda: "token", wrong_password) == "token"
        with pytest.raises(ConnectionError):
            throttle.attempt(checks, _raise(ConnectionError()), wrong_password)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            throttle.attempt(checks, wrong, wrong_password)
    with pytest.raises(TooManyRequests):
        throttle.attempt(checks, lambda: "token", wrong_password)   # the owner here too: the pair is spent
    assert refused(InvalidInput("verification_code_invalid", "x", "x")) and not refused(None)


def _raise(exc):
    def do():
        raise exc
    return do


def test_redis_away_fails_open():
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.2, socket_connect_timeout=0.2)
    throttle = Throttle(unreachable, "test-away", parse_limits("login_pair=1/900"))
    for _ in range(3):
        assert throttle.attempt([("login_pair", "alice\n10.0.0.1")], lambda: "token", wrong_password) == "token"


def test_limits_from_configuration():
    limits = parse_limits("login_pair=3/60, claim_account=2/3600")
    assert limits["login_pair"] == Limit(3, 60) and limits["claim_account"] == Limit(2, 3600)
    assert limits["login_address"] == Limit(30, 900)
    for bad in ("nope=1/1", "login_pair=0/60", "login_pair=x"):
        with pytest.raises(ValueError):
            parse_limits(bad)


def request_from(peer, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return Request(EnvironBuilder(path="/", headers=headers, environ_base={"REMOTE_ADDR": peer}).get_environ())


@pytest.mark.parametrize("peer,forwarded,trusted,expected", [
    ("203.0.113.9", "10.0.0.1", "", "203.0.113.9"),                    # default: the header is not believed
    ("203.0.113.9", "10.0.0.1", "127.0.0.1", "203.0.113.9"),           # not from the proxy
    ("127.0.0.1", "10.0.0.1", "127.0.0.1", "10.0.0.1"),
    ("127.0.0.1", "6.6.6.6, 10.0.0.1", "127.0.0.1", "10.0.0.1"),       # the client's own hop is not believed
    ("127.0.0.1", "10.0.0.1, 172.16.0.5", "127.0.0.1,172.16.0.0/12", "10.0.0.1"),
    ("127.0.0.1", "garbage", "127.0.0.1", "127.0.0.1"),
    ("127.0.0.1", None, "127.0.0.1", "127.0.0.1"),
])
def test_the_client_address(peer, forwarded, trusted, expected):
    assert client_address(request_from(peer, forwarded), trusted_networks(trusted)) == expected


def test_a_known_device_cookie_is_signed_for_its_username_and_expires():
    clock = Clock(1_000_000.0)
    devices = KnownDevices("a-token-secret", days=1, clock=clock)
    set_cookie = devices.cookie("alice", secure=True)
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and set_cookie.endswith("; Secure")
    value = set_cookie.split(";")[0].split("=", 1)[1]

    def holding(cookie):
        return Request(EnvironBuilder(path="/", headers={"Cookie": f"hgrip_device={cookie}"}).get_environ())

    assert devices.knows(holding(value), "alice")
    assert not devices.knows(holding(value), "bob")                      # another account: a stranger
    tampered = value[:-1] + ("1" if value[-1] == "0" else "0")
    assert not devices.knows(holding(tampered), "alice")
    assert not KnownDevices("another-secret", clock=clock).knows(holding(value), "alice")
    assert not devices.knows(request_from("127.0.0.1"), "alice")          # none
    clock.now += 86400 + 1
    assert not devices.knows(holding(value), "alice")                     # expired


# ---- through two gateways sharing Redis -----------------------------------------------------------

@pytest.fixture
def two_gateways(start_service, service_config, start_gateway, fake_identity):
    start_service(fake_identity(ACCOUNT), service_config("identity"))
    namespace = uuid.uuid4().hex   # the two share it (as they would share their vhost), no other test does
    return [start_gateway(GATEWAY_TRUSTED_PROXIES="127.0.0.1", RATE_LIMIT_NAMESPACE=namespace,
                          RATE_LIMITS="login_pair=5/900,login_address=8/900,login_account=20/3600")
            for _ in range(2)]


def log_in(gateway, body, address):
    return gateway.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address})


def test_the_pair_limit_stops_the_stranger_not_the_owner_elsewhere(two_gateways):
    first, second = two_gateways
    for n in range(5):   # alternately through each gateway: one count
        answer = log_in(two_gateways[n % 2], STRANGER, "198.51.100.7")
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_credentials"
    refused_answer = log_in(second, STRANGER, "198.51.100.7")
    assert refused_answer.status_code == 429
    error = refused_answer.json()["error"]
    assert error["code"] == "rate_limited" and error["message"] and "稍后再试" in error["message_zh"]
    retry_after = int(refused_answer.headers["Retry-After"])
    assert 0 < retry_after <= 900 and error["details"] == {"retry_after_seconds": retry_after}
    assert log_in(first, STRANGER, "198.51.100.7").status_code == 429
    assert log_in(first, OWNER, "198.51.100.7").status_code == 429      # the pair is spent, for anyone on it
    # The owner from elsewhere logs in, as often as needed, through either gateway; the open session works.
    for gateway in (first, second, first):
        assert log_in(gateway, OWNER, "203.0.113.20").status_code == 200
    assert second.get("/api/v1/me", token=GOOD_TOKEN).status_code == 200


def test_the_address_limit_spans_accounts_and_gateways(two_gateways):
    first, second = two_gateways
    for n in range(8):
        answer = log_in(two_gateways[n % 2], {"username": f"user{n}", "password": "guess"}, "198.51.100.8")
        assert answer.status_code == 401
    answer = log_in(first, {"username": "someone-else", "password": "guess"}, "198.51.100.8")
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert log_in(second, {"username": "someone-else", "password": "guess"}, "198.51.100.9").status_code == 401


def test_the_account_limit_bites_a_distributed_guesser(two_gateways):
    for n in range(20):   # 20 addresses, 1 guess each: no pair or address limit is near
        assert log_in(two_gateways[n % 2], STRANGER, f"198.51.100.{100 + n}").status_code == 401
    assert log_in(two_gateways[0], STRANGER, "198.51.100.200").status_code == 429


def test_every_limited_route_documents_429_and_no_login_route_423():
    from hgrip_gateway.service import openapi_document

    paths = openapi_document()["paths"]
    limited = [("/api/v1/auth/login", "post"), ("/api/v1/auth/session", "post"),
               ("/api/v1/backups/{backup_id}/files/{file_id}/verification-code", "post"),
               ("/api/v1/backups/{backup_id}/files/{file_id}/verify", "post"),
               ("/api/v1/claims/sms-code", "post"), ("/api/v1/claims", "post"),
               ("/api/v1/institution/claims", "post")]
    for path, method in limited:
        assert "429" in paths[path][method]["responses"], path
    assert "423" not in paths["/api/v1/auth/login"]["post"]["responses"]
    assert "423" not in paths["/api/v1/auth/session"]["post"]["responses"]


def test_a_known_browser_logs_in_through_a_distributed_guesser(two_gateways):
    """The per-account limit stops a guesser spread over many addresses; the owner's browser, known to
    the account from an earlier login, is not stopped by it (nor anyone else's browser known to it)."""
    first, second = two_gateways
    browser = first.session   # keeps its cookies: hgrip_session and hgrip_device
    known = browser.post(first.base_url + "/api/v1/auth/session", json=OWNER, timeout=30,
                         headers={"X-HGRIP-CSRF": "1", "X-Forwarded-For": "203.0.113.30"})
    assert known.status_code == 200 and browser.cookies.get("hgrip_device")
    for n in range(20):   # no cookie jar: strangers' browsers
        assert cookieless_log_in(two_gateways[n % 2], STRANGER, f"198.51.100.{100 + n}").status_code == 401
    assert cookieless_log_in(second, OWNER, "203.0.113.31").status_code == 429   # a browser it does not know
    again = browser.post(second.base_url + "/api/v1/auth/session", json=OWNER, timeout=30,
                         headers={"X-HGRIP-CSRF": "1", "X-Forwarded-For": "203.0.113.32"})
    assert again.status_code == 200, again.text
    stolen_name = requests.Session()   # the cookie is for alice only: with another username it is nothing
    stolen_name.cookies.set("hgrip_device", browser.cookies.get("hgrip_device"), path="/api/v1/auth/")
    assert stolen_name.post(first.base_url + "/api/v1/auth/login", json=STRANGER, timeout=30,
                            headers={"X-Forwarded-For": "198.51.100.250"}).status_code == 401


def cookieless_log_in(gateway, body, address):
    return requests.post(gateway.base_url + "/api/v1/auth/login", json=body, timeout=30,
                         headers={"X-Forwarded-For": address})
