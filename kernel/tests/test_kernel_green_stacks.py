"""``green_thread_stacks``: every suspended green thread's stack and, given the frame a signal
interrupted, the running one's too (it has no ``gr_frame``, and it may be the one that hangs)."""
import sys

import eventlet

from hgrip_kernel.green_stacks import green_thread_stacks


def _parked():
    eventlet.sleep(60)


def _looking(with_running_frame: bool):
    return green_thread_stacks(sys._getframe() if with_running_frame else None)


def _functions(stack) -> list[str]:
    return [frame.name for frame in stack]


def test_the_running_green_thread_is_listed_from_the_frame_given_and_the_waiting_ones_always():
    parked = eventlet.spawn(_parked)
    eventlet.sleep(0)   # parked now waits in the hub
    try:
        given = eventlet.spawn(_looking, True).wait()
        not_given = eventlet.spawn(_looking, False).wait()
    finally:
        parked.kill()
    for stacks in (given, not_given):
        assert any("_parked" in _functions(stack) for _, stack in stacks)
    assert not any("_looking" in _functions(stack) for _, stack in not_given)
    [(name, stack)] = [(name, stack) for name, stack in given if "_looking" in _functions(stack)]
    assert name.endswith(" running") and stack[-1].name == "_looking"
    assert [name for name, _ in given if name.endswith(" running")] == [name]
