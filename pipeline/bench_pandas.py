"""The original task's approach, for the benchmark: pandas merges of the four raw files
into one table with the target, and the participants x events cross join it suggests for
"which event will interest a participant". Run by pipeline.bench on the same files.

    python -m pipeline.bench_pandas RAW_DIR MAX_CROSS_ROWS OUT_JSON
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd


def main(argv: list[str] | None = None) -> int:
    raw, max_cross, out = (argv or sys.argv[1:])[:3]
    raw, max_cross, out = Path(raw), int(max_cross), Path(out)
    t0 = time.perf_counter()
    read = lambda name: pd.read_csv(raw / name, dtype=str, encoding="koi8-r")  # noqa: E731
    tickets, ages, shows, visits = read("tickets.csv"), read("ages.csv"), read("show.csv"), read("visit.csv")
    merged = (
        tickets.merge(visits, on=["id_show", "id_visitor"], how="left")
        .merge(ages, on="id_visitor", how="left")
        .merge(shows, on="id_show", how="left")
    )
    merged["target"] = merged["show_date"].notna().astype(int)
    merge_seconds = time.perf_counter() - t0
    cross_rows = len(ages) * len(shows)
    if cross_rows <= max_cross:
        t1 = time.perf_counter()
        pairs = ages[["id_visitor", "Age", "Region"]].merge(shows, how="cross")
        bought = tickets[["id_visitor", "id_show"]].drop_duplicates().assign(bought=1)
        pairs = pairs.merge(bought, on=["id_visitor", "id_show"], how="left")
        cross = f"{cross_rows:,} rows in {time.perf_counter() - t1:.1f} s"
    else:
        cross = f"skipped: {cross_rows:,} rows would not fit (limit {max_cross:,})"
    out.write_text(json.dumps({"merged_rows": len(merged), "merge_seconds": round(merge_seconds, 1), "cross_join": cross, "cross_join_rows": cross_rows}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
