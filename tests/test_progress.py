"""Long steps report progress: rate-limited lines with how far, of how much, and the rate."""

from __future__ import annotations

import logging
import os
import re

from conftest import python
from pipeline.progress import Progress


def test_lines_come_at_most_every_interval_with_share_and_rate(caplog):
    now = [0.0]
    progress = Progress(logging.getLogger("t"), "ingest tickets.csv", total=1000, every=10, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="t"):
        for _ in range(10):
            now[0] += 4
            progress.add(100)
    # at 12, 24 and 36 seconds: 300, 600 and 900 rows
    assert [r.getMessage() for r in caplog.records] == [
        "ingest tickets.csv: 300 of 1,000 (30%) rows, 25 rows/s",
        "ingest tickets.csv: 600 of 1,000 (60%) rows, 25 rows/s",
        "ingest tickets.csv: 900 of 1,000 (90%) rows, 25 rows/s",
    ]


def test_the_generator_shows_progress_when_asked(tmp_path):
    env = {**os.environ, "AFISHA_PROGRESS_SECONDS": "0"}
    generated = python("-m", "synth", "--participants", "600", "--seed", "5", "--out", str(tmp_path / "raw"), env=env, check=True)
    assert re.search(r"generate: 600 of 600 \(100%\) participants, [\d,]+ participants/s", generated.stderr)
