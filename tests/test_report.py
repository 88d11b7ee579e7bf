"""The evaluation reports are self-contained HTML pages whose charts render in a real
browser: headless Chromium (Debian's chromium package, installed by `make test`)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def latest_report(artifacts: Path, name: str) -> Path:
    version = (artifacts / name / "LATEST").read_text().strip()
    return artifacts / name / version / "report.html"


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is not installed; `make test` installs Debian's chromium package"
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


def png_colours(path: Path) -> int:
    """Distinct pixel colours of an 8-bit RGB(A) PNG: a blank or unstyled page has few."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    colours, previous = set(), bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):  # undo the PNG row filters
            a = line[x - channels] if x >= channels else 0
            b, c = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            colours.update(bytes(line[i : i + 3]) for i in range(0, stride, channels * 2))
        previous = line
    return len(colours)


def test_attendance_report_renders_its_charts(demo_run, tmp_path):
    page = latest_report(demo_run.artifacts, "attendance")
    report = json.loads(page.with_name("report.json").read_text())
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p1").stdout
    titles = re.findall(r'<svg class="chart" role="img" aria-label="([^"]+)"', dom)
    assert {"ROC curve (test)", "Precision-recall (test)", "No-show rate by decile of predicted attendance", "ROC-AUC by age band"} <= set(titles)
    assert any(t.startswith("Calibration of") for t in titles) and any(t.startswith("Permutation importance") for t in titles)
    # One ROC line per model and the oracle, each through 101 points.
    roc = dom.split('aria-label="ROC curve (test)"')[1].split("</svg>")[0]
    lines = re.findall(r'<polyline class="series"[^>]*points="([^"]+)"', roc)
    assert len(lines) == len(report["test_metrics"]) and all(len(points.split()) == 101 for points in lines)

    shot = tmp_path / "attendance.png"
    result = chromium(f"--screenshot={shot}", "--window-size=1000,1500", page.as_uri(), profile=tmp_path / "p2")
    assert shot.is_file(), result.stderr[-2000:]
    assert png_colours(shot) > 20  # lines, bars and text in several colours, not a blank page


def test_recommender_report_renders_metrics_against_baselines(demo_run, tmp_path):
    page = latest_report(demo_run.artifacts, "recommender")
    report = json.loads(page.with_name("report.json").read_text())
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p1").stdout
    ndcg = dom.split('aria-label="NDCG@k"')[1].split("</svg>")[0]
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<]+)</title>', ndcg)
    models = report["evaluation"]["models"]
    assert len(bars) == 2 * len(models)  # k = 5 and 10 for every model and baseline
    assert f"k=10: {models['learned_ranker']['ndcg@10']:.4g}" in bars
    shot = tmp_path / "recommender.png"
    chromium(f"--screenshot={shot}", "--window-size=1000,1200", page.as_uri(), profile=tmp_path / "p2")
    assert png_colours(shot) > 10


def test_a_page_without_charts_fails_the_colour_check(tmp_path):
    """The screenshot check can fail: a blank page has a single colour."""
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><html><body></body></html>")
    shot = tmp_path / "blank.png"
    chromium(f"--screenshot={shot}", "--window-size=400,300", blank.as_uri(), profile=tmp_path / "p")
    assert png_colours(shot) == 1
