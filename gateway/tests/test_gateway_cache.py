"""The in-process cache behind GET /api/v1/taxonomy."""
import pytest

from hgrip_gateway.cache import Expiring


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_loads_once_then_again_after_the_ttl():
    clock, loads = Clock(), []
    cache = Expiring(300, clock=clock)

    def load():
        loads.append(clock.now)
        return {"version": len(loads)}

    assert cache.get(load) == {"version": 1}
    clock.now += 299
    assert cache.get(load) == {"version": 1}
    clock.now += 1
    assert cache.get(load) == {"version": 2}
    assert loads == [1000.0, 1300.0]


def test_a_failed_load_is_not_cached():
    cache = Expiring(300, clock=Clock())

    def broken():
        raise ConnectionError("backups is down")

    with pytest.raises(ConnectionError):
        cache.get(broken)
    assert cache.get(lambda: "fresh") == "fresh"
