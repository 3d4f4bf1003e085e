"""The gateway's cache of accounts (account_views.py): trusted only while the feed is connected,
never keeping an answer that may predate a change, emptied on every (re)connection."""
from hgrip_gateway.account_views import AccountViews

ALICE = {"id": "acc-1", "username": "alice", "employed": True}


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def connected(**kwargs) -> AccountViews:
    views = AccountViews(**kwargs)
    views.feed_connected()
    return views


def test_nothing_is_read_or_kept_while_the_feed_is_not_connected():
    views = AccountViews()
    assert not views.keep("acc-1", ALICE, views.epoch) and views.get("acc-1") is None
    views.feed_connected()
    assert views.keep("acc-1", ALICE, views.epoch) and views.get("acc-1") == ALICE
    views.feed_lost()
    assert views.get("acc-1") is None
    views.feed_connected()  # events may have been missed while it was away: it starts empty
    assert views.get("acc-1") is None


def test_an_answer_asked_before_a_change_arrived_is_not_kept():
    views = connected()
    asked_at = views.epoch
    views.drop("acc-2")  # any change meanwhile, even of another account: identity's answer may predate it
    assert not views.keep("acc-1", ALICE, asked_at) and views.get("acc-1") is None
    assert views.keep("acc-1", ALICE, views.epoch)


def test_a_change_drops_its_account_and_an_institution_change_everything():
    views = connected()
    views.keep("acc-1", ALICE, views.epoch)
    views.keep("acc-2", {**ALICE, "id": "acc-2"}, views.epoch)
    views.drop("acc-1")
    assert views.get("acc-1") is None and views.get("acc-2") is not None
    views.clear()
    assert views.get("acc-2") is None


def test_the_ttl_is_a_safety_net_and_the_size_is_bounded():
    clock = Clock()
    views = connected(ttl=60, clock=clock, max_entries=2)
    views.keep("acc-1", ALICE, views.epoch)
    clock.now += 59.9
    assert views.get("acc-1") == ALICE
    clock.now += 0.1
    assert views.get("acc-1") is None
    for number in range(3):
        views.keep(f"acc-{number}", ALICE, views.epoch)
    assert views.get("acc-2") == ALICE and views.get("acc-0") is None  # full: started over
