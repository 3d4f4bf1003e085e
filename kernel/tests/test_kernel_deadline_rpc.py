"""Service-to-service calls with a deadline (hgrip_kernel.nameko.deadline_rpc) on a real broker: a peer
that does not answer in time is ServiceUnavailable ``peer_unavailable`` and frees the caller's worker;
an answer or a refusal in time passes through; a request nobody took expires in the broker."""
import time

import eventlet
import pytest

from hgrip_kernel import config
from hgrip_kernel.errors import NotFound, ServiceUnavailable
from hgrip_kernel.nameko import PeerProxy, refusing_rpc
from hgrip_kernel.testing.fixtures import wait_until

DEADLINE = 1.0
SLOW = 2.5     # longer than the deadline, short enough for the test's teardown to wait for it
RAN = []


class SlowPeer:
    name = "slow_peer"

    @refusing_rpc
    def answer(self, seconds, value):
        RAN.append(value)
        eventlet.sleep(seconds)
        return value

    @refusing_rpc
    def refuse(self):
        raise NotFound("thing_not_found", "No such thing.", "没有这个东西。")


class Caller:
    name = "caller"
    peer = PeerProxy("slow_peer")

    @refusing_rpc
    def ask(self, seconds, value):
        return self.peer.answer(seconds, value)

    @refusing_rpc
    def ask_refused(self):
        return self.peer.refuse()


@pytest.fixture
def platform(service_config, start_service):
    RAN.clear()
    # One worker: a caller whose worker stayed stuck on the peer could not answer the next request.
    caller = start_service(Caller, service_config("caller", PEER_RPC_TIMEOUT=DEADLINE, max_workers=1))
    peer = start_service(SlowPeer, service_config("slow_peer"))
    return caller, peer


def test_a_peer_too_slow_is_service_unavailable_within_the_deadline_and_the_worker_is_free(platform, rpc_proxy):
    caller, _ = platform
    with rpc_proxy() as cluster:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as refused:
            cluster.caller.ask(SLOW, "late")
        waited = time.monotonic() - started
        assert DEADLINE <= waited < DEADLINE + 1.0, waited
        assert refused.value.code == "peer_unavailable"
        assert refused.value.message and refused.value.message_zh
        assert refused.value.details == {"service": "slow_peer", "retry_after_seconds": 2}

        # nothing left waiting for the late reply (the worker ends just after sending its answer)
        wait_until(lambda: not caller._worker_threads, timeout=0.5, message="the caller's worker ended")
        started = time.monotonic()
        assert cluster.caller.ask(0, "in time") == "in time"   # the one worker answers at once
        assert time.monotonic() - started < DEADLINE


def test_a_refusal_of_the_peer_passes_through(platform, rpc_proxy):
    with rpc_proxy() as cluster, pytest.raises(NotFound) as refused:
        cluster.caller.ask_refused()
    assert refused.value.code == "thing_not_found" and refused.value.message_zh == "没有这个东西。"


def test_a_request_nobody_took_in_time_expires_in_the_broker(platform, rpc_proxy, service_config, start_service):
    _, peer = platform
    peer.stop()   # its queue stays: the request waits there, unread
    with rpc_proxy() as cluster, pytest.raises(ServiceUnavailable):
        cluster.caller.ask(0, "expired")
    eventlet.sleep(0.7 * DEADLINE)   # past the expiration (0.7 × the deadline, counted from sending)
    start_service(SlowPeer, service_config("slow_peer"))
    with rpc_proxy() as cluster:
        assert cluster.caller.ask(0, "fresh") == "fresh"
    assert RAN == ["fresh"]   # the peer back never acted on the request its caller gave up on


def test_the_peer_deadline_is_shorter_than_the_gateways(monkeypatch, tmp_path):
    monkeypatch.setenv("HGRIP_VAR", str(tmp_path))
    monkeypatch.delenv("HGRIP_PEER_RPC_TIMEOUT", raising=False)
    assert config.service_config("projects")["PEER_RPC_TIMEOUT"] == config.DEFAULT_PEER_RPC_TIMEOUT == 7.0
    monkeypatch.setenv("HGRIP_PEER_RPC_TIMEOUT", "3.5")
    assert config.service_config("projects")["PEER_RPC_TIMEOUT"] == 3.5
