"""Debian's Chromium driven by Playwright's sync API from our eventlet-patched processes (the
browser tests in tests/browser and the web benchmark in bench/web_load.py).

Playwright cannot download a browser here: it drives ``/usr/bin/chromium`` (``make browser``
installs it). The flags keep Chromium off the network this machine does not have.
"""
import concurrent.futures
import contextlib

import eventlet

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def asyncio_without_eventlet():
    """Let Playwright's sync API run under the eventlet monkey patch of the kernel's pytest plugin.

    Playwright runs an asyncio loop in a "dispatcher" greenlet and each event listener in a greenlet
    of its own whose parent is that dispatcher. Whenever code on those greenlets calls a green
    function that waits (a green ``select``, or a green ``os.read``/``os.write`` meeting EAGAIN on the
    driver's pipe), eventlet's hub makes itself the waiting greenlet's parent; when that greenlet
    ends, control goes to the hub instead of the dispatcher and the test hangs for good (seen:
    ``wait_for_url`` after a click never returned). So, while the browser is in use: asyncio's loops
    poll with the original ``select.poll``, its Unix pipes use the original ``os``, and it notices
    the driver's exit through a pidfd rather than a (green) watcher thread. Nothing else in this
    process uses asyncio meanwhile (the platform runs as separate processes); all is undone after.
    (Playwright's file work "in a thread" runs inline too: green threads would never get to run.)
    """
    import asyncio.unix_events
    import selectors

    real_select = eventlet.patcher.original("select")

    class RealPollSelector(selectors._PollLikeSelector):
        _selector_cls = real_select.poll
        _EVENT_READ = real_select.POLLIN
        _EVENT_WRITE = real_select.POLLOUT

    class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
        """Playwright writes screenshots and reads files "in a thread": green threads never run
        while the loop waits in a real poll, so do that small file work at once instead."""

        def submit(self, fn, /, *args, **kwargs):
            future = concurrent.futures.Future()
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:  # handed to the awaiting coroutine, as a thread would
                future.set_exception(error)
            return future

    class Policy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self):
            loop = asyncio.SelectorEventLoop(RealPollSelector())
            loop.set_default_executor(InlineExecutor(max_workers=1))
            return loop

    class LoopPidfdWatcher(asyncio.PidfdChildWatcher):
        def is_active(self):
            return True

        def add_child_handler(self, pid, callback, *args):
            self._loop = asyncio.get_running_loop()
            super().add_child_handler(pid, callback, *args)

    saved_policy, saved_os = asyncio.get_event_loop_policy(), asyncio.unix_events.os
    asyncio.set_event_loop_policy(Policy())
    asyncio.set_child_watcher(LoopPidfdWatcher())
    asyncio.unix_events.os = eventlet.patcher.original("os")
    try:
        yield
    finally:
        asyncio.unix_events.os = saved_os
        asyncio.set_event_loop_policy(saved_policy)
