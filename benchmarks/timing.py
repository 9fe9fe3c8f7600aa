"""Where a benchmark's time goes: laps measured by wrapping the app's functions from outside,
so the production code carries no stopwatch.

``Stopwatch.wrap(module, "name", "lap")`` replaces a module attribute with a timed wrapper for
the rest of the run; calls that look the name up in that module (``module.name(...)`` or a
global of that module) are timed. Laps nest: a lap's seconds exclude the laps inside it, so
the split adds up. ``current_lap`` tells a database execute wrapper where a query ran.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

current_lap: ContextVar[str] = ContextVar("benchmark_lap", default="")


class Stopwatch:
    """Seconds spent per kind of work, summed, each lap without the laps inside it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._inner: list[float] = []  # per open lap: seconds spent in laps inside it

    def reset(self) -> None:
        self.seconds = {}

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        token = current_lap.set(name)
        self._inner.append(0.0)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            inner = self._inner.pop()
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - inner
            if self._inner:
                self._inner[-1] += elapsed
            current_lap.reset(token)

    def wrap(self, owner: Any, attribute: str, lap: str) -> None:
        """Time every call of ``owner.attribute`` from now on as ``lap``."""
        original: Callable[..., Any] = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.measure(lap):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)
