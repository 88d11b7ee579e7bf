"""Progress of a long step, for people watching a terminal and for scheduler logs.

A step reports each batch it finishes; a log line comes out at most every
AFISHA_PROGRESS_SECONDS (default 10) with how far it got, of how much when that is known,
and the rate. A short step prints nothing but its closing line.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Callable


def interval_seconds() -> float:
    return float(os.environ.get("AFISHA_PROGRESS_SECONDS", "10"))


class Progress:
    def __init__(self, log: logging.Logger, what: str, total: int | None = None, unit: str = "rows", every: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.log, self.what, self.total, self.unit = log, what, total, unit
        self.every = interval_seconds() if every is None else every
        self.clock = clock
        self.started = self.last = clock()
        self.done = 0

    def add(self, n: int) -> None:
        self.done += n
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self.log.info("%s", self.line(now))

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        of = f" of {self.total:,} ({self.done / self.total:.0%})" if self.total else ""
        return f"{self.what}: {self.done:,}{of} {self.unit}, {self.done / elapsed:,.0f} {self.unit}/s"
