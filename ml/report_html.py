"""Self-contained HTML reports: inline SVG charts and tables, no scripts, no downloads.

A report is a title and a list of sections; each section holds paragraphs, charts and
tables already rendered to HTML. The charts are drawn here as SVG, so the page opens in
any browser (and in headless Chromium, which the tests use to check it renders) with
nothing else installed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

WIDTH, HEIGHT = 440, 300
MARGIN = {"left": 56, "right": 16, "top": 30, "bottom": 44}
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]

Series = tuple[str, Sequence[float], Sequence[float]]


def _esc(text: object) -> str:
    return html.escape(str(text))


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step) + 1)]


def _frame(title: str, x_label: str, y_label: str, x_range: tuple[float, float], y_range: tuple[float, float], body: list[str], legend: list[str], extra_bottom: int = 0) -> str:
    (x0, x1), (y0, y1) = x_range, y_range
    height = HEIGHT + extra_bottom
    pw, ph = WIDTH - MARGIN["left"] - MARGIN["right"], HEIGHT - MARGIN["top"] - MARGIN["bottom"]
    parts = [
        f'<svg class="chart" role="img" aria-label="{_esc(title)}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{_esc(title)}</text>',
        f'<rect x="{MARGIN["left"]}" y="{MARGIN["top"]}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    for t in _ticks(y0, y1):
        y = MARGIN["top"] + ph - (t - y0) / (y1 - y0 or 1) * ph
        parts.append(f'<line x1="{MARGIN["left"]}" x2="{MARGIN["left"] + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{MARGIN["left"] - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{t:g}</text>')
    parts += body
    parts.append(f'<text x="{MARGIN["left"] + pw / 2}" y="{height - 8}" text-anchor="middle" font-size="11">{_esc(x_label)}</text>')
    parts.append(f'<text transform="translate(14 {MARGIN["top"] + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11">{_esc(y_label)}</text>')
    for i, name in enumerate(legend):
        y = MARGIN["top"] + 12 + 14 * i
        parts.append(f'<rect x="{MARGIN["left"] + pw - 130}" y="{y - 8}" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>')
        parts.append(f'<text x="{MARGIN["left"] + pw - 116}" y="{y + 1}" font-size="10">{_esc(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(title: str, series: Sequence[Series], x_label: str, y_label: str, x_range=(0.0, 1.0), y_range=(0.0, 1.0), diagonal: bool = False) -> str:
    """Lines through (x, y) points, one per series; optionally the y = x diagonal."""
    (x0, x1), (y0, y1) = x_range, y_range
    pw, ph = WIDTH - MARGIN["left"] - MARGIN["right"], HEIGHT - MARGIN["top"] - MARGIN["bottom"]

    def sx(x: float) -> float:
        return MARGIN["left"] + (x - x0) / (x1 - x0 or 1) * pw

    def sy(y: float) -> float:
        return MARGIN["top"] + ph - (y - y0) / (y1 - y0 or 1) * ph

    body = [f'<text x="{sx(t):.1f}" y="{MARGIN["top"] + ph + 14}" text-anchor="middle" font-size="10">{t:g}</text>' for t in _ticks(x0, x1)]
    if diagonal:
        body.append(f'<line x1="{sx(x0):.1f}" y1="{sy(y0):.1f}" x2="{sx(x1):.1f}" y2="{sy(y1):.1f}" stroke="#bbb" stroke-dasharray="4 3"/>')
    for i, (_, xs, ys) in enumerate(series):
        points = " ".join(f"{sx(float(x)):.1f},{sy(float(y)):.1f}" for x, y in zip(xs, ys) if not (math.isnan(float(x)) or math.isnan(float(y))))
        body.append(f'<polyline class="series" fill="none" stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2" points="{points}"/>')
    return _frame(title, x_label, y_label, x_range, y_range, body, [name for name, _, _ in series])


def bar_chart(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], y_label: str, y_range: tuple[float, float] | None = None) -> str:
    """Grouped vertical bars: one group per category, one bar per series."""
    values = [float(v) for _, vs in series for v in vs if not math.isnan(float(v))]
    y0, y1 = y_range or (min(0.0, min(values, default=0.0)), max(values, default=1.0) * 1.1 or 1.0)
    pw, ph = WIDTH - MARGIN["left"] - MARGIN["right"], HEIGHT - MARGIN["top"] - MARGIN["bottom"]
    group = pw / max(len(categories), 1)
    bar = group * 0.8 / max(len(series), 1)
    slanted = len(categories) > 6  # long lists of names: slanted labels below the plot
    body = []
    for c, category in enumerate(categories):
        gx = MARGIN["left"] + c * group + group * 0.1
        label = category if len(category) <= 26 else category[:25] + "…"
        lx, ly = gx + group * 0.4, MARGIN["top"] + ph + 14
        if slanted:
            body.append(f'<text transform="translate({lx:.1f} {ly - 4}) rotate(-40)" text-anchor="end" font-size="9">{_esc(label)}</text>')
        else:
            body.append(f'<text x="{lx:.1f}" y="{ly}" text-anchor="middle" font-size="9">{_esc(label)}</text>')
        for s, (_, vs) in enumerate(series):
            v = float(vs[c])
            if math.isnan(v):
                continue
            top = MARGIN["top"] + ph - (max(v, y0) - y0) / (y1 - y0 or 1) * ph
            base = MARGIN["top"] + ph - (max(0.0, y0) - y0) / (y1 - y0 or 1) * ph
            body.append(f'<rect class="bar" x="{gx + s * bar:.1f}" y="{min(top, base):.1f}" width="{bar * 0.95:.1f}" height="{abs(base - top):.1f}" fill="{COLOURS[s % len(COLOURS)]}"><title>{_esc(category)}: {v:.4g}</title></rect>')
    legend = [name for name, _ in series] if len(series) > 1 else []
    return _frame(title, "", y_label, (0, 1), (y0, y1), body, legend, extra_bottom=110 if slanted else 0)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else _esc(v)

    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def paragraph(text: str) -> str:
    return f"<p>{_esc(text)}</p>"


def page(title: str, sections: Sequence[tuple[str, Sequence[str]]]) -> str:
    style = (
        "body{font-family:sans-serif;max-width:960px;margin:24px auto;color:#222}"
        "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}"
        ".charts{display:flex;flex-wrap:wrap;gap:12px}table{border-collapse:collapse;font-size:12px;margin:8px 0}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}"
    )
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title><style>{style}</style></head><body>', f"<h1>{_esc(title)}</h1>"]
    for heading, blocks in sections:
        out.append(f"<section><h2>{_esc(heading)}</h2>")
        charts = [b for b in blocks if b.startswith("<svg")]
        out += [b for b in blocks if not b.startswith("<svg")]
        if charts:
            out.append('<div class="charts">' + "".join(charts) + "</div>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)
