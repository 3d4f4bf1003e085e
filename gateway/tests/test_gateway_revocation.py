"""Tokens are checked in the gateway and accounts kept there, yet a changed account is refused or
answered anew at once, on every gateway (accounts.py, revocation_feed.py): real RabbitMQ, real
identity on PostgreSQL, two gateways under load."""
import json
import time
import uuid

import eventlet
import pytest
import requests
from kombu import Connection, Producer

from hgrip_gateway.account_views import AccountViews
from hgrip_gateway.accounts import AccountCache, Accounts
from hgrip_gateway.revocation_feed import RevocationFeed
from hgrip_kernel.messaging.topology import events_exchange

IdentityService = pytest.importorskip("hgrip_identity.entrypoints.service").IdentityService

SECRET = "test-token-secret-of-at-least-32-bytes"  # TOKEN_SECRET of the kernel's service_config fixture
INSTITUTION = {"name": "Inst", "foreign": False, "units": []}
RESEARCHER = {"password": "Secret2023", "name": "刘晓寒", "mobile": "13800000000", "role": "natural_person",
              "institution": "I1", "real_name_verified": True, "authorised": True,
              "authorised_at": "2023-06-01 16:00:00", "employed": True}
REVOCATION_DELAY = 1.0  # seconds: the promise of docs/security.md


def wait_for(predicate, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "not within the timeout"
        eventlet.sleep(0.01)
    return time.monotonic() - started


# ---- the feed on its own ---------------------------------------------------------------------------

@pytest.fixture
def feed(amqp_uri):
    feed = RevocationFeed(amqp_uri, AccountViews())
    thread = eventlet.spawn(feed.run)
    wait_for(lambda: feed.views.trusted)
    yield feed
    feed.stop()
    thread.kill()


def publish(amqp_uri: str, event_type: str, data: dict) -> None:
    envelope = {"event_id": str(uuid.uuid4()), "event_type": event_type, "schema_version": 1,
                "source": "identity", "data": data}
    with Connection(amqp_uri) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope), exchange=events_exchange, routing_key=f"identity.{event_type}",
            content_type="application/json")


def test_an_account_event_drops_that_account_and_an_institution_event_everything(feed, amqp_uri):
    views = feed.views
    for account_id in ("acc-1", "acc-2"):
        views.keep(account_id, {"id": account_id}, views.epoch)
    publish(amqp_uri, "AccountUpdated", {"account_id": "acc-1", "employed": False})
    wait_for(lambda: views.get("acc-1") is None, REVOCATION_DELAY)
    assert views.get("acc-2") is not None
    publish(amqp_uri, "InstitutionUpdated", {"code": "I1", "name": "Renamed"})
    wait_for(lambda: views.get("acc-2") is None, REVOCATION_DELAY)
    views.keep("acc-3", {"id": "acc-3"}, views.epoch)
    publish(amqp_uri, "AccountUpdated", "not an envelope's data")  # unreadable: drop everything
    wait_for(lambda: views.get("acc-3") is None, REVOCATION_DELAY)


def test_a_lost_feed_distrusts_the_cache_and_starts_empty_when_back(feed, rabbit_manager, rabbit_config):
    views = feed.views
    views.keep("acc-1", {"id": "acc-1"}, views.epoch)
    connections = []
    wait_for(lambda: connections.extend(rabbit_manager._get("vhosts", rabbit_config["vhost"], "connections"))
             or connections, 15.0)  # the management API lists a connection after a few seconds
    for connection in connections:  # the broker drops the feed, as when it restarts
        rabbit_manager.delete_connection(connection["name"])
    wait_for(lambda: not views.trusted, 2.0)
    assert views.get("acc-1") is None and not views.keep("acc-1", {"id": "acc-1"}, views.epoch)
    wait_for(lambda: views.trusted, 5.0)
    assert views.get("acc-1") is None  # events may have been missed meanwhile


class CountingIdentity:
    """identity's RpcProxy as the gateway uses it (``identity.authenticate.call_async(token).result()``),
    counting calls."""

    def __init__(self, account: dict):
        self.account, self.calls = account, 0
        self.authenticate = self

    def call_async(self, token):
        self.calls += 1
        return self

    def result(self):
        return self.account


def test_without_a_connected_feed_identity_is_asked_every_time(token_for):
    feed = RevocationFeed("amqp://guest:guest@127.0.0.1:1//", AccountViews())  # no broker there
    thread = eventlet.spawn(feed.run)
    try:
        accounts = Accounts(SECRET, feed.views)
        identity = CountingIdentity({"id": "acc-1"})
        token = token_for("acc-1")
        for _ in range(3):
            assert accounts.account_for(identity, token, timeout=5) == {"id": "acc-1"}
        eventlet.sleep(1.5)
        assert identity.calls == 3 and not feed.views.trusted
        feed.views.feed_connected()  # once connected, the account is kept
        for _ in range(3):
            accounts.account_for(identity, token, timeout=5)
        assert identity.calls == 4
    finally:
        feed.stop()
        thread.kill()


# ---- two gateways, the real identity, load while the account changes -------------------------------

def views_of(api) -> AccountViews:
    return next(dep for dep in api.container.dependencies if isinstance(dep, AccountCache)).accounts.views


@pytest.fixture
def two_gateways(make_database, service_config, start_service, start_gateway):
    start_service(IdentityService, service_config("identity", make_database("identity")))
    first, second = start_gateway(GATEWAY_RPC_TIMEOUT=10), start_gateway(GATEWAY_RPC_TIMEOUT=10)
    for api in (first, second):
        wait_for(lambda api=api: views_of(api).trusted)
    assert first.hgrg_put("/api/v1/hgrg/institutions/I1", INSTITUTION).status_code == 200
    assert first.hgrg_put("/api/v1/hgrg/accounts/liuxiaohan", RESEARCHER).status_code == 200
    token = first.login("liuxiaohan", "Secret2023").json()["access_token"]
    return first, second, token


class Load:
    """Green threads asking GET /me on every gateway until stopped: (started, finished, gateway, status, body)."""

    def __init__(self, gateways, token: str, per_gateway: int = 3):
        self.answers: list[tuple[float, float, int, int, dict]] = []
        self.running = True
        self.threads = [eventlet.spawn(self._ask, index, api.base_url, token)
                        for index, api in enumerate(gateways) for _ in range(per_gateway)]

    def _ask(self, index: int, base_url: str, token: str) -> None:
        with requests.Session() as session:
            while self.running:
                started = time.monotonic()
                answer = session.get(base_url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                                     timeout=10)
                self.answers.append((started, time.monotonic(), index, answer.status_code, answer.json()))

    def asked_after(self, moment: float, gateways: int) -> bool:
        """Every gateway has answered a request sent after ``moment``."""
        return {index for started, _, index, _, _ in list(self.answers) if started > moment} == set(range(gateways))

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.wait()

    def settled_after(self, moment: float, index: int, settled) -> float:
        """How long after ``moment`` gateway ``index`` last answered anything not ``settled`` (an
        upper bound: an answer is decided before it is received)."""
        unsettled = [finished for started, finished, i, status, body in self.answers
                     if i == index and finished > moment and not settled(status, body)]
        return max(unsettled, default=moment) - moment


def test_a_changed_account_is_answered_anew_at_once_on_every_gateway_under_load(two_gateways):
    first, second, token = two_gateways
    gateways = (first, second)
    for api in gateways:
        assert api.get("/api/v1/me", token=token).json()["authorised"] is True
    account_id = first.get("/api/v1/me", token=token).json()["id"]
    assert all(views_of(api).get(account_id) is not None for api in gateways)  # kept: no RPC per request

    load = Load(gateways, token)
    try:
        wait_for(lambda: load.asked_after(time.monotonic() - 0.5, len(gateways)), 10.0)
        first.hgrg_put("/api/v1/hgrg/accounts/liuxiaohan", {**RESEARCHER, "authorised": False})
        withdrawn = time.monotonic()
        wait_for(lambda: load.asked_after(withdrawn + REVOCATION_DELAY, len(gateways)), 15.0)
        first.hgrg_put("/api/v1/hgrg/accounts/liuxiaohan", {**RESEARCHER, "authorised": False, "employed": False})
        left = time.monotonic()
        wait_for(lambda: load.asked_after(left + REVOCATION_DELAY, len(gateways)), 15.0)
    finally:
        load.stop()
    for index in range(len(gateways)):
        delay = load.settled_after(
            withdrawn, index, lambda status, body: status != 200 or body["authorised"] is False)
        assert delay < REVOCATION_DELAY, f"gateway {index}: still authorised {delay:.3f} s after the change"
        delay = load.settled_after(
            left, index, lambda status, body: status == 401 and body["error"]["code"] == "account_inactive")
        assert delay < REVOCATION_DELAY, f"gateway {index}: still served {delay:.3f} s after leaving"
    for api in gateways:  # and it stays refused: nothing kept the old account
        response = api.get("/api/v1/me", token=token)
        assert response.status_code == 401 and response.json()["error"]["code"] == "account_inactive"


def test_the_gateway_that_carried_the_change_answers_anew_without_waiting_for_the_event(two_gateways, monkeypatch):
    first, second, token = two_gateways
    account_id = first.get("/api/v1/me", token=token).json()["id"]
    assert second.get("/api/v1/me", token=token).json()["authorised"] is True
    assert all(views_of(api).get(account_id) is not None for api in (first, second))
    events = []
    # Identity's events still arrive but no longer drop anything: only HGRG's own call can
    monkeypatch.setattr("hgrip_gateway.revocation_feed.apply_event", lambda views, body: events.append(body))
    assert first.hgrg_put("/api/v1/hgrg/accounts/liuxiaohan",
                          {**RESEARCHER, "authorised": False}).status_code == 200
    assert first.get("/api/v1/me", token=token).json()["authorised"] is False   # at once, here
    wait_for(lambda: events, 5.0)   # the event came, and was ignored: the other gateway still has the old view
    assert second.get("/api/v1/me", token=token).json()["authorised"] is True
    assert first.hgrg_put("/api/v1/hgrg/accounts/liuxiaohan",
                          {**RESEARCHER, "authorised": False, "employed": False}).status_code == 200
    response = first.get("/api/v1/me", token=token)
    assert response.status_code == 401 and response.json()["error"]["code"] == "account_inactive"
    views_of(first).keep(account_id, {"id": account_id, "name": "old"}, views_of(first).epoch)
    assert first.hgrg_put("/api/v1/hgrg/institutions/I1", {**INSTITUTION, "name": "Renamed"}).status_code == 200
    assert views_of(first).get(account_id) is None   # an institution's change: every view forgotten here


def test_a_tampered_or_expired_token_is_refused_by_the_gateway_alone(two_gateways):
    import jwt

    first, _, token = two_gateways
    claims = jwt.decode(token, options={"verify_signature": False})
    header, _, signature = token.split(".")
    expired = jwt.encode({**claims, "exp": int(time.time()) - 1}, SECRET, algorithm="HS256")
    for bad in (jwt.encode(claims, None, algorithm="none"), expired, token[:-2] + "AA",
                f"{header}.{jwt.encode({**claims, 'sub': 'someone-else'}, SECRET).split('.')[1]}.{signature}"):
        response = first.get("/api/v1/me", token=bad)
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token", bad
