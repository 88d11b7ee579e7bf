"""A real BI client: SQLAlchemy with duckdb_engine (as Superset's and Metabase-style
drivers connect) on the published, read-only serving database; the dashboard queries in
bi/queries/ must return the numbers the facts hold."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import ROOT

QUERIES = ROOT / "bi" / "queries"


@pytest.fixture(scope="module")
def engine(demo_run):
    serving = demo_run.warehouse.with_name("serving.duckdb")
    assert serving.is_file()
    # The URI a Superset user enters (README, "Connect a BI tool").
    engine = sa.create_engine(f"duckdb:///{serving}?access_mode=read_only")
    yield engine
    engine.dispose()


def run(engine, sql: str) -> list[dict]:
    with engine.connect() as con:
        return [dict(row._mapping) for row in con.execute(sa.text(sql))]


def query_file(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


def test_every_dashboard_query_runs_and_returns_rows(engine):
    names = sorted(p.stem for p in QUERIES.glob("*.sql"))
    assert len(names) >= 6
    for name in names:
        rows = run(engine, query_file(name))
        assert rows, f"{name} returned nothing"


def test_the_marts_are_visible_to_the_client_with_their_columns(engine):
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names(schema="marts"))
    assert {"rpt_region_monthly_activity", "rpt_event_performance", "rpt_age_band_organisation_type_activity",
            "rpt_attendance_model_monitoring", "rpt_attendance_feature_drift", "fct_event_recommendations"} <= tables  # fmt: skip
    columns = {c["name"] for c in inspector.get_columns("rpt_region_monthly_activity", schema="marts")}
    assert {"region_code", "month_start_on", "tickets", "attendance_rate", "no_show_rate", "cinema_ticket_share"} <= columns


def test_monthly_figures_match_the_fact(engine):
    months = run(engine, query_file("program_activity__tickets_by_month"))
    fact = run(
        engine,
        """
        select purchase_month as month_start_on, count(*) as tickets, sum(price_rub) as revenue_rub,
               count(case when attended = 1 then 1 end) * 1.0 / nullif(count(attended), 0) as attendance_rate
        from marts.fct_ticket_attendance group by purchase_month order by purchase_month
        """,
    )
    assert [m["month_start_on"] for m in months] == [f["month_start_on"] for f in fact]
    for m, f in zip(months, fact):
        assert m["tickets"] == f["tickets"] and m["revenue_rub"] == f["revenue_rub"]
        assert (m["attendance_rate"] is None and f["attendance_rate"] is None) or abs(m["attendance_rate"] - f["attendance_rate"]) < 1e-12


def test_no_show_by_type_and_top_region_match_the_fact(engine):
    by_type = {r["organisation_type"]: r for r in run(engine, query_file("events__no_show_by_organisation_type"))}
    fact = run(
        engine,
        """
        select organisation_type, count(*) as tickets,
               1 - count(case when attended = 1 then 1 end) * 1.0 / count(attended) as no_show_rate
        from marts.fct_ticket_attendance group by organisation_type
        """,
    )
    assert set(by_type) == {f["organisation_type"] for f in fact}
    for f in fact:
        assert by_type[f["organisation_type"]]["tickets"] == f["tickets"]
        assert abs(by_type[f["organisation_type"]]["no_show_rate"] - f["no_show_rate"]) < 1e-12
    top = run(engine, query_file("program_activity__top_regions"))[0]
    count = run(engine, f"select count(*) as n from marts.fct_ticket_attendance where participant_region_code = '{top['region_code']}'")[0]["n"]
    assert top["tickets"] == count == max(r["tickets"] for r in run(engine, query_file("program_activity__top_regions")))


def test_model_monitoring_shows_the_scoring_run(engine):
    runs = run(engine, query_file("model_monitoring__scoring_runs"))
    served = run(engine, "select count(*) as n, min(run_id) as run_id from marts.fct_ticket_attendance_predictions")[0]
    assert served["run_id"] in {r["run_id"] for r in runs}
    newest = next(r for r in runs if r["run_id"] == served["run_id"])
    assert newest["tickets_scored"] == served["n"] > 0 and 0 < newest["mean_predicted_probability"] < 1


def test_the_client_cannot_write(engine, demo_run):
    with engine.connect() as con:
        with pytest.raises(sa.exc.DBAPIError, match="read-only"):
            con.execute(sa.text("create table marts.scratch as select 1 as x"))
    # Nor can a client that forgets read_only: the published file itself is read-only.
    serving: Path = demo_run.warehouse.with_name("serving.duckdb")
    assert serving.stat().st_mode & 0o222 == 0
