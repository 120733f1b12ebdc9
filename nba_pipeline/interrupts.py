"""A person's Ctrl-C or a scheduler's SIGTERM, seen however Dagster handled it.

While a run executes in process, Dagster swaps in its own SIGINT/SIGTERM handlers: a signal that lands
outside a step's compute is only noted (and forgotten when the run ends), one inside it becomes a failed
step whose error may be wrapped in another. Either way the command must know it was stopped. Python's
C-level handler writes every handled signal's number to the wakeup fd whatever the Python handler is,
so `received()` reads the truth from there."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

STOPPING = (signal.SIGTERM, signal.SIGINT)
INTERRUPTED = threading.Event()
_wakeup: dict[str, int] = {}  # the read end of the wakeup pipe while a command runs


def install() -> Callable[[], None]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt and are recorded. Returns what undoes it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stop(signum, frame):
        INTERRUPTED.set()
        raise KeyboardInterrupt(f"signal {signum}")

    INTERRUPTED.clear()
    previous = {sig: signal.signal(sig, stop) for sig in STOPPING}
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _wakeup["read"] = read

    def restore() -> None:
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(_wakeup.pop("read"))
        os.close(write)

    return restore


def received() -> bool:
    """Whether Ctrl-C or SIGTERM reached this process since `install`, by any handler."""
    read = _wakeup.get("read")
    if read is not None:
        try:
            while chunk := os.read(read, 512):
                if any(n in STOPPING for n in chunk):
                    INTERRUPTED.set()
        except BlockingIOError:
            pass
    return INTERRUPTED.is_set()
