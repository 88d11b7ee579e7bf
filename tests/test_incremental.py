"""Incremental ticket models: a build on more data over an older warehouse equals a full build."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from conftest import INCREMENTAL, afisha_env, dbt, rows_differing

# Not compared: the scored marts depend on ml/ tables the cut build never had, and the
# rebuild boundary records which days each run rebuilt (it differs by design).
NOT_COMPARED = {"fct_ticket_attendance_predictions", "fct_event_recommendations", "rpt_attendance_model_monitoring", "int_tickets_rebuild_boundary"}


def tables(con, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema in ('intermediate', 'marts') "
        "and table_type = 'BASE TABLE' order by 1",
        [catalog],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in NOT_COMPARED]


def differences(con, table: str) -> int:
    """Rows in one warehouse's table and not in the other's."""
    schema = con.execute("select table_schema from information_schema.tables where table_catalog = 'full_wh' and table_name = ?", [table]).fetchall()[0][0]
    return rows_differing(con, f"inc_wh.{schema}.{table}", f"full_wh.{schema}.{table}")


def compare(incremental: Path, full: Path) -> dict[str, int]:
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental}' as inc_wh (read_only)")
        con.execute(f"attach '{full}' as full_wh (read_only)")
        names = tables(con, "inc_wh")
        assert names == tables(con, "full_wh")
        return {name: differences(con, name) for name in names}


def test_incremental_build_equals_full_build(demo_run, cut_warehouse, tmp_path):
    """The warehouse built on data cut at CUT_ON, then built again incrementally on the
    whole data, holds the same rows in every model as the full build of the whole data;
    and a second incremental run on the same data changes nothing."""
    warehouse = tmp_path / "incremental.duckdb"
    shutil.copy(cut_warehouse, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = con.execute("select count(*), max(purchased_on) from marts.fct_ticket_attendance").fetchall()[0]
    env = afisha_env(demo_run.landing, warehouse, tmp_path / "artifacts")
    target = tmp_path / "target"
    dbt("build", "--target-path", str(target), env=env)

    # It ran as an increment: each ticket model appended its rebuilt range to the old table
    # (a full build would create the table), from a boundary well after the first day.
    for model in INCREMENTAL:
        compiled = next((target / "run").rglob(f"{model}.sql")).read_text().lower()
        assert compiled.lstrip().startswith("insert into"), model
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rebuilt_from = con.execute("select max(rebuild_from_on), min(activity_on) from intermediate.int_tickets_rebuild_boundary").fetchall()[0]
    assert rebuilt_from[0] > rebuilt_from[1]

    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = con.execute("select count(*), max(purchased_on) from marts.fct_ticket_attendance").fetchall()[0]
    assert after[0] > before[0] * 1.3 and after[1] > before[1]

    diff = compare(warehouse, demo_run.warehouse)
    assert set(INCREMENTAL) <= set(diff) and "fct_recommendation_candidates" in diff
    assert diff == {name: 0 for name in diff}

    dbt("build", "--target-path", str(target), env=env)
    assert compare(warehouse, demo_run.warehouse) == {name: 0 for name in diff}


def test_tickets_that_leave_the_raw_data_leave_the_incremental_models(demo_run, tmp_path):
    """A correction upstream removes old tickets: the next incremental run finds the
    changed days, rebuilds from the first one and drops those tickets; nothing else moves."""
    warehouse = tmp_path / "wh.duckdb"
    shutil.copy(demo_run.warehouse, warehouse)
    landing = tmp_path / "landing"
    shutil.copytree(demo_run.landing, landing)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        gone = con.execute(
            "select participant_id, event_id, ticket_id, purchased_on from marts.fct_ticket_attendance where purchased_on < date '2022-03-01' order by ticket_id limit 5"
        ).fetchall()
        before = con.execute("select count(*) from marts.fct_ticket_attendance").fetchall()[0][0]
    pairs = ", ".join(f"('{p}', '{e}')" for p, e, _, _ in gone)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_parquet('{demo_run.landing}/tickets.parquet') where (id_visitor, id_show) not in ({pairs})) "
            f"to '{landing}/tickets.parquet' (format parquet)"
        )
    dbt("build", "--target-path", str(tmp_path / "target"), env=afisha_env(landing, warehouse, tmp_path / "artifacts"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = con.execute("select count(*) from marts.fct_ticket_attendance").fetchall()[0][0]
        left = con.execute(f"select count(*) from marts.fct_ticket_attendance where ticket_id in ({', '.join(repr(t) for _, _, t, _ in gone)})").fetchall()[0][0]
        rebuilt_from = con.execute("select max(rebuild_from_on) from intermediate.int_tickets_rebuild_boundary").fetchall()[0][0]
    assert left == 0 and after == before - 5
    assert rebuilt_from == min(d for _, _, _, d in gone)
