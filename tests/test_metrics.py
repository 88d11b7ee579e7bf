"""The semantic layer: every `mf query` in docs/metrics.md, run as written with MetricFlow
on a built warehouse, returns the numbers the BI marts hold."""

from __future__ import annotations

import csv
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, afisha_env, dbt

DOC = ROOT / "docs" / "metrics.md"
MF = Path(sys.executable).parent / "mf"

# What each documented query must equal, keyed by its group-by: the same figures from
# the marts, under MetricFlow's column names.
MART_SQL = {
    "metric_time__month": """
        select month_start_on as metric_time__month, sum(tickets) as tickets, sum(revenue_rub) as revenue,
               sum(active_participants) as active_participants,
               sum(tickets_attended) / nullif(sum(tickets_with_final_label), 0) as attendance_rate,
               1 - sum(tickets_attended) / nullif(sum(tickets_with_final_label), 0) as no_show_rate
        from marts.rpt_region_monthly_activity group by month_start_on order by month_start_on
    """,
    "participant__age_band,ticket__organisation_type": """
        select age_band as participant__age_band, organisation_type as ticket__organisation_type, tickets, no_show_rate
        from marts.rpt_age_band_organisation_type_activity
    """,
    "ticket__participant_region_code": """
        select region_code as ticket__participant_region_code, sum(tickets) as tickets,
               sum(tickets_attended) / nullif(sum(tickets_with_final_label), 0) as attendance_rate
        from marts.rpt_region_monthly_activity group by region_code
    """,
}


def documented_queries() -> list[str]:
    return re.findall(r"^\.venv/bin/(mf query .+)$", DOC.read_text(encoding="utf-8"), flags=re.M)


def value(column: str, text: str):
    """A metric as a number (empty is null); a dimension stays text, a time one as its day."""
    if column.startswith("metric_time__"):
        return text[:10]
    if "__" in column:
        return text
    return None if text == "" else float(text)


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    return str(a) == str(b)


@pytest.fixture(scope="module")
def mf_env(demo_run, tmp_path_factory):
    """mf opens the warehouse for writing, as dbt does: a private copy of the demo's."""
    import shutil

    warehouse = tmp_path_factory.mktemp("mf") / "afisha.duckdb"
    shutil.copy(demo_run.warehouse, warehouse)
    env = afisha_env(demo_run.landing, warehouse, demo_run.artifacts, DBT_PROFILES_DIR=str(ROOT))
    # mf reads target/semantic_manifest.json, which names the catalog of the last dbt
    # command's warehouse (other tests build other warehouses): parse against this one.
    dbt("parse", env=env)
    return env, warehouse


def test_the_docs_show_a_query_for_every_mart_comparison():
    groups = [re.search(r"--group-by (\S+)", q).group(1) for q in documented_queries()]
    assert sorted(groups) == sorted(MART_SQL)


@pytest.mark.parametrize("group_by", sorted(MART_SQL))
def test_documented_mf_query_equals_the_mart(group_by, mf_env, tmp_path):
    env, warehouse = mf_env
    query = next(q for q in documented_queries() if f"--group-by {group_by} " in q + " ")
    out = tmp_path / "result.csv"
    result = subprocess.run([str(MF), *shlex.split(query)[1:], "--csv", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and out.is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open(newline="") as f:
        rows = list(csv.reader(f))
    got = [{c: value(c, v) for c, v in zip(rows[0], r)} for r in rows[1:]]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(MART_SQL[group_by])
        columns = [d[0] for d in cursor.description]
        expected = [dict(zip(columns, r)) for r in cursor.fetchall()]
    assert set(rows[0]) == set(columns) and len(got) == len(expected) > 3
    dimensions = group_by.split(",")
    by_key = {tuple(str(e[d]) for d in dimensions): e for e in expected}
    for g in got:
        e = by_key[tuple(g[d] for d in dimensions)]
        assert all(same(g[c], e[c]) for c in columns), (g, e)


def test_a_wrong_number_would_fail_the_comparison():
    """The comparison can fail: a one-ticket difference is caught."""
    assert not same(1506.0, 1507) and not same(None, 0.25) and same(0.7500000000001, 0.75)
