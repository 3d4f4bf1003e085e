"""Every green thread's stack, for finding where a process hangs: under eventlet all green threads
share one OS thread, whose own stack (what py-spy or faulthandler show) is only the hub's loop."""
import gc
import traceback
from types import FrameType


def green_thread_stacks(running: FrameType | None = None) -> list[tuple[str, list[traceback.FrameSummary]]]:
    """(the green thread's repr, its stack, outermost frame first) of every suspended green thread and,
    given ``running`` (the frame a signal interrupted), of the one running it (its repr marked
    "running"): a running green thread has no ``gr_frame``, and it may be the one that hangs. The root
    one (without a parent: the main thread's, e.g. a test's) last."""
    import greenlet

    waiting = []
    for thread in gc.get_objects():
        try:  # a dead weak proxy among the objects raises on any look at it
            frame = thread.gr_frame if isinstance(thread, greenlet.greenlet) else None
        except ReferenceError:
            continue
        if frame is not None:
            waiting.append((thread, frame, ""))
    if running is not None:
        waiting.append((greenlet.getcurrent(), running, " running"))
    return [(f"{thread!r:.80}{state}", traceback.extract_stack(frame))
            for thread, frame, state in sorted(waiting, key=lambda entry: entry[0].parent is None)]


def log_green_threads(log, running: FrameType | None = None, frames: int = 60) -> None:
    """One ``green_thread`` line per green thread (its innermost ``frames``, compact: enough to reach
    the broker consumer's loop from inside a message's handling), then a count: what ``hgrip serve``
    does on SIGUSR1, given the frame it interrupted."""
    stacks = green_thread_stacks(running)
    for name, stack in stacks:
        log.warning("green_thread", thread=name,
                    stack=" < ".join(f"{_short(f.filename)}:{f.lineno} {f.name}" for f in reversed(stack[-frames:])))
    log.warning("green_threads_dumped", count=len(stacks))


def _short(path: str) -> str:
    marker = "site-packages/"
    return path.split(marker, 1)[1] if marker in path else path.rsplit("/", 2)[-1] if "/" in path else path
