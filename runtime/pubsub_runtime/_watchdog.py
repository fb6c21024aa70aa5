"""Event-loop watchdog: measures loop lag and names the handler that blocks the loop.

Two cooperating parts, both cheap and with no per-message cost:

- a heartbeat task in the loop sleeps ``interval`` and records how late it woke up (the lag);
- a watcher thread polls the heartbeat. While the loop is stuck it cannot run Python code, so
  the thread looks at the loop's current task (its name, given by the dispatcher, carries the
  alias, the handler and the message id) and at the loop thread's stack (the handler's line).

When the heartbeat wakes after a block longer than ``threshold`` it logs one warning naming what
the thread saw. A block that goes on for ``stuck_after`` seconds is also reported while it lasts,
so an endless loop or a deadlock in a handler is not silent.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import FrameType

from pubsub_runtime._dispatch import parse_handler_task_name

logger = logging.getLogger("pubsub_runtime.watchdog")

ADVICE = (
    "While it blocks, no other message is handled and HTTP requests (health checks included) "
    "wait. Await an async library instead of the blocking call, or move CPU-bound work off the "
    "loop with `await pubsub_runtime.run_in_process(func, ...)` or run more `--workers`."
)

_MAX_SAMPLES = 8  # per stall: enough to see if several tasks took turns blocking
_ASYNCIO_DIR = os.path.dirname(asyncio.__file__)
_THREADING_FILE = threading.__file__


@dataclass(frozen=True)
class Culprit:
    """What the watcher thread saw running in the loop while it was stuck."""

    task_name: str | None
    coroutine: str | None
    alias: str | None
    handler: str | None
    message_id: str | None
    location: str | None

    @property
    def is_handler(self) -> bool:
        return self.alias is not None

    def describe(self) -> str:
        if self.is_handler:
            text = f"handler {self.handler!r} (alias {self.alias!r}, message id {self.message_id})"
        elif self.task_name is not None:
            text = f"task {self.task_name!r} (coroutine {self.coroutine!r})"
        else:
            text = "a callback outside any task"
        return f"{text} at {self.location}" if self.location else text


@dataclass(frozen=True)
class LoopStats:
    """The loop's lag as shown in the health payload."""

    running: bool
    lag_ms: float
    max_lag_ms: float
    window_s: float
    block_threshold_ms: float
    blocks_reported: int


class LoopWatchdog:
    """Measures event-loop lag and reports blocking handlers by name.

    ``threshold``: a block at least this long (seconds) is reported. ``interval``: heartbeat
    period. ``window``: the span of ``max_lag``. ``stuck_after``: report a block still going on
    after this long. ``repeat_after``: the same culprit is reported at most once per this many
    seconds (later blocks are counted and the count shown in the next report).
    """

    def __init__(
        self,
        *,
        threshold: float = 0.1,
        interval: float = 0.05,
        window: float = 60.0,
        stuck_after: float = 5.0,
        repeat_after: float = 10.0,
    ) -> None:
        if threshold <= 0 or interval <= 0:
            raise ValueError("threshold and interval must be positive")
        self.threshold = threshold
        self.interval = interval
        self.window = window
        self.stuck_after = stuck_after
        self.repeat_after = repeat_after
        self.topics: Mapping[str, str] = {}  # alias -> topic, for the log context
        self.blocks_reported = 0
        self._poll = min(max(threshold / 4, 0.005), interval)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # (monotonic time of the last heartbeat, its lag); replaced whole, so the thread reads
        # a consistent pair without a lock.
        self._beat: tuple[float, float] = (0.0, 0.0)
        self._samples: list[tuple[float, Culprit]] = []
        self._buckets: collections.deque[tuple[int, float]] = collections.deque()
        self._last_report: dict[tuple[str | None, str | None], float] = {}
        self._suppressed: collections.Counter[tuple[str | None, str | None]] = collections.Counter()

    # ----------------------------------------------------------------- lifecycle
    @property
    def running(self) -> bool:
        return self._heartbeat is not None and not self._heartbeat.done()

    def start(self) -> None:
        """Start watching the running loop (call from inside it)."""
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._beat = (time.monotonic(), 0.0)
        self._samples = []
        self._buckets.clear()
        self._stop.clear()
        self._heartbeat = self._loop.create_task(self._beat_forever(), name="pubsub-watchdog")
        self._thread = threading.Thread(target=self._watch, name="pubsub-watchdog", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    # ----------------------------------------------------------------- measures
    @property
    def lag(self) -> float:
        """The current lag in seconds: the last heartbeat's, or how overdue the next one is."""
        beat_at, lag = self._beat
        overdue = time.monotonic() - beat_at - self.interval
        return max(lag, overdue, 0.0)

    @property
    def max_lag(self) -> float:
        """The largest lag seen within the last ``window`` seconds (the current one included)."""
        self._trim(time.monotonic())
        return max([self.lag, *(value for _, value in self._buckets)])

    def stats(self) -> LoopStats:
        return LoopStats(
            running=self.running,
            lag_ms=round(self.lag * 1000, 3),
            max_lag_ms=round(self.max_lag * 1000, 3),
            window_s=self.window,
            block_threshold_ms=round(self.threshold * 1000, 3),
            blocks_reported=self.blocks_reported,
        )

    def _trim(self, now: float) -> None:
        oldest = int(now - self.window)
        while self._buckets and self._buckets[0][0] < oldest:
            self._buckets.popleft()

    def _record(self, now: float, lag: float) -> None:
        second = int(now)
        if self._buckets and self._buckets[-1][0] == second:
            if lag > self._buckets[-1][1]:
                self._buckets[-1] = (second, lag)
        else:
            self._buckets.append((second, lag))
            self._trim(now)

    # ----------------------------------------------------------------- the loop side
    async def _beat_forever(self) -> None:
        interval = self.interval
        while True:
            previous = self._beat[0]
            await asyncio.sleep(interval)
            now = time.monotonic()
            lag = max(now - previous - interval, 0.0)
            self._beat = (now, lag)
            self._record(now, lag)
            if lag >= self.threshold:
                self._report(previous, lag)
            elif self._samples:
                self._samples = []  # a short stall the thread sampled: nothing to report

    def _report(self, stalled_beat: float, lag: float) -> None:
        samples, self._samples = self._samples, []
        seen = [culprit for beat, culprit in samples if beat == stalled_beat]
        if not seen:
            # The watcher never saw the loop stuck: the whole process was paused or starved
            # (or a C extension held the GIL), which is not a handler's doing.
            logger.info(
                "Event loop lagged %.0f ms; nothing was seen running in it (process paused, "
                "starved of CPU, or a C extension holding the GIL)",
                lag * 1000,
                extra={"blocked_ms": round(lag * 1000)},
            )
            return
        culprit = next((c for c in seen if c.is_handler), seen[0])
        key = (culprit.alias, culprit.handler or culprit.coroutine)
        now = time.monotonic()
        last = self._last_report.get(key)
        if last is not None and now - last < self.repeat_after:
            self._suppressed[key] += 1
            return
        self._last_report[key] = now
        suppressed = self._suppressed.pop(key, 0)
        self.blocks_reported += 1
        others = sorted({c.describe() for c in seen if c != culprit})
        also = f"; also seen running: {', '.join(others)}" if others else ""
        again = f" ({suppressed} more such blocks since the last report)" if suppressed else ""
        logger.warning(
            "Event loop blocked for at least %.0f ms by %s%s%s. %s",
            lag * 1000,
            culprit.describe(),
            also,
            again,
            ADVICE,
            extra=self._context(culprit, lag),
        )

    def _context(self, culprit: Culprit | None, lag: float) -> dict[str, object]:
        context: dict[str, object] = {"blocked_ms": round(lag * 1000)}
        if culprit is not None and culprit.is_handler:
            context["alias"] = culprit.alias
            context["handler"] = culprit.handler
            context["message_id"] = culprit.message_id
            topic = self.topics.get(culprit.alias or "")
            if topic is not None:
                context["topic"] = topic
        elif culprit is not None and culprit.task_name is not None:
            context["task"] = culprit.task_name
        return context

    # ----------------------------------------------------------------- the thread side
    def _watch(self) -> None:
        sample_after = self.threshold / 2
        stuck_reported_for: float | None = None
        pause = self._poll
        while not self._stop.wait(pause):
            beat_at, _ = self._beat
            stalled = time.monotonic() - beat_at - self.interval
            if stalled < sample_after:
                # Sleep until this beat would be overdue: about one wake-up per heartbeat.
                pause = max(sample_after - stalled, self._poll / 4)
                continue
            pause = self._poll
            if sum(1 for beat, _ in self._samples if beat == beat_at) < _MAX_SAMPLES:
                self._samples.append((beat_at, self._identify()))
            if stalled >= self.stuck_after and stuck_reported_for != beat_at:
                stuck_reported_for = beat_at
                culprit = self._samples[-1][1] if self._samples else None
                logger.warning(
                    "Event loop has been blocked for %.1f s so far by %s (still blocked). %s",
                    stalled,
                    culprit.describe() if culprit else "an unidentified callback",
                    ADVICE,
                    extra=self._context(culprit, stalled),
                )

    def _identify(self) -> Culprit:
        """What the loop is running now (called from the watcher thread while it is stuck)."""
        task = _current_task(self._loop)
        frame = sys._current_frames().get(self._loop_thread or -1)
        if task is None:
            return Culprit(None, None, None, None, None, _innermost_location(frame))
        name = task.get_name()
        coro = task.get_coro()
        coroutine = getattr(coro, "__qualname__", None)
        parsed = parse_handler_task_name(name)
        if parsed is None:
            return Culprit(name, coroutine, None, None, None, _innermost_location(frame))
        alias, qualname, message_id = parsed
        location = _location_of(frame, qualname) or _innermost_location(frame)
        return Culprit(name, coroutine, alias, qualname, message_id, location)


def _current_task(loop: asyncio.AbstractEventLoop | None) -> asyncio.Task[object] | None:
    # asyncio keeps the running task per loop in a private dict (3.11 to 3.13); without it the
    # report still gives the blocked time and the stack location.
    current = getattr(asyncio.tasks, "_current_tasks", None)
    if loop is None or not isinstance(current, dict):
        return None
    task = current.get(loop)
    return task if isinstance(task, asyncio.Task) else None


def _format(frame: FrameType) -> str:
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _location_of(frame: FrameType | None, qualname: str) -> str | None:
    """The line of the handler's own frame (the dispatcher's qualname has the module in front)."""
    while frame is not None:
        name = frame.f_code.co_qualname
        if qualname == name or qualname.endswith("." + name):
            return _format(frame)
        frame = frame.f_back
    return None


def _innermost_location(frame: FrameType | None) -> str | None:
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_ASYNCIO_DIR) and filename != _THREADING_FILE:
            return _format(frame)
        frame = frame.f_back
    return None
