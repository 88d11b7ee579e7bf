"""The dbt build on generated data and on the seed's files, checked against raw data."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from conftest import CUT_ON, SEED_DATA, build

LABEL_WINDOW_DAYS = 45


def query(warehouse, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def raw_frames(raw):
    read = lambda name: pd.read_csv(raw / name, dtype=str, encoding="koi8-r")  # noqa: E731
    return read("tickets.csv"), read("ages.csv"), read("show.csv"), read("visit.csv")


def test_fact_has_one_row_per_ticket_of_known_participant_and_event(demo_run):
    tickets, ages, shows, _ = raw_frames(demo_run.raw)
    known = tickets[tickets["id_visitor"].isin(ages["id_visitor"]) & tickets["id_show"].isin(shows["id_show"])]
    expected = known.drop_duplicates(["id_visitor", "id_show"])
    fct = query(demo_run.warehouse, "select participant_id, event_id, purchased_on, price_rub from marts.fct_ticket_attendance")
    assert len(fct) == len(expected)
    assert set(zip(fct["participant_id"], fct["event_id"])) == set(zip(expected["id_visitor"], expected["id_show"]))


def test_attended_label_matches_an_independent_computation(demo_run):
    tickets, _, _, visits = raw_frames(demo_run.raw)
    t = tickets.sort_values("sell_date").drop_duplicates(["id_visitor", "id_show"]).copy()
    t["sell_date"] = pd.to_datetime(t["sell_date"])
    visits["show_date"] = pd.to_datetime(visits["show_date"])
    as_of = max(t["sell_date"].max(), visits["show_date"].max())
    m = t.merge(visits, on=["id_visitor", "id_show"], how="left")
    window_end = m["sell_date"] + pd.Timedelta(days=LABEL_WINDOW_DAYS)
    m["hit"] = (m["show_date"] >= m["sell_date"]) & (m["show_date"] <= window_end)
    expected = m.groupby(["id_visitor", "id_show", "sell_date"], as_index=False)["hit"].any()
    expected["final"] = expected["sell_date"] + pd.Timedelta(days=LABEL_WINDOW_DAYS) <= as_of
    fct = query(demo_run.warehouse, "select participant_id as id_visitor, event_id as id_show, attended, is_label_final from marts.fct_ticket_attendance")
    joined = fct.merge(expected, on=["id_visitor", "id_show"], how="inner")
    assert len(joined) == len(fct)
    assert (joined["is_label_final"] == joined["final"]).all()
    final = joined[joined["final"]]
    assert (final["attended"].astype(int) == final["hit"].astype(int)).all()
    assert joined.loc[~joined["final"], "attended"].isna().all()
    assert 0.7 < final["attended"].mean() < 0.8


def test_bi_mart_adds_up_to_the_fact(demo_run):
    totals = query(demo_run.warehouse, "select sum(tickets) as tickets, sum(revenue_rub) as revenue, sum(tickets_attended) as attended from marts.rpt_region_monthly_activity").iloc[0]
    fact = query(demo_run.warehouse, "select count(*) as tickets, sum(price_rub) as revenue, count(case when attended = 1 then 1 end) as attended from marts.fct_ticket_attendance").iloc[0]
    assert totals["tickets"] == fact["tickets"] and totals["attended"] == fact["attended"]
    assert abs(float(totals["revenue"]) - float(fact["revenue"])) < 0.01


def test_features_do_not_change_when_the_future_is_removed(demo_run, cut_warehouse):
    """The leakage test: cut every raw file at day D and rebuild. Each ticket bought before
    D must get exactly the same features as in the full build: nothing from D on counts."""
    cutoff = date.fromisoformat(CUT_ON)
    features = (
        "ticket_id, prior_tickets, prior_visits, prior_known_outcomes, prior_no_shows, prior_no_show_rate, "
        "days_since_last_purchase, prior_tickets_same_type, organisation_type_affinity, event_prior_tickets, "
        "type_avg_price_before_rub, price_relative_to_type, is_event_in_home_region, purchase_day_of_week"
    )
    where = f"where purchased_on < date '{cutoff}' order by ticket_id"
    full = query(demo_run.warehouse, f"select {features} from marts.fct_ticket_attendance {where}")
    partial = query(cut_warehouse, f"select {features} from marts.fct_ticket_attendance {where}")
    assert len(full) > 10_000
    pd.testing.assert_frame_equal(full.reset_index(drop=True), partial.reset_index(drop=True))


def test_seed_files_go_through_the_whole_build(tmp_path):
    # The sample files are dated 2020-2021, before the program's 2021-09-01 start.
    _, warehouse = build(SEED_DATA, tmp_path, "seed", "--program-start", "2020-01-01")
    fct = query(warehouse, "select * from marts.fct_ticket_attendance order by purchased_on")
    assert len(fct) == 9
    # The task's own example: visitor 00061 bought show 0004 and never came.
    no_show = fct[(fct["participant_id"] == "00061") & (fct["event_id"] == "0004")].iloc[0]
    assert no_show["attended"] == 0 and bool(no_show["is_label_final"])
    assert fct["is_event_region_derived"].all()  # show.csv has no region column
    events = query(warehouse, "select event_id, region_code, organisation_type from marts.dim_events order by event_id")
    assert events.set_index("event_id").loc["0002", "region_code"] == "16"  # its one buyer lives in region 16
    assert set(events["organisation_type"]) == {"cinema", "theatre", "exhibition", "museum"}
    as_of = query(warehouse, "select as_of_date from marts.rpt_data_freshness")["as_of_date"]
    assert len(as_of) == 1 and as_of.iloc[0].date() == date(2021, 10, 27)
    assert fct["attended"].notna().sum() == 9 - int((fct["label_window_closes_on"] > as_of.iloc[0]).sum())
    assert fct.loc[fct["purchased_on"] == fct["purchased_on"].max(), "label_window_closes_on"].iloc[0].date() == date(2021, 10, 24) + timedelta(days=LABEL_WINDOW_DAYS)


def test_rejected_records_account_for_every_raw_row_left_out(demo_run):
    tickets, ages, shows, visits = raw_frames(demo_run.raw)
    rejected = query(demo_run.warehouse, "select source_file, reason, count(*) as n from marts.rpt_rejected_records group by all")
    n = {(r.source_file, r.reason): r.n for r in rejected.itertuples()}
    unknown = tickets[~tickets["id_visitor"].isin(ages["id_visitor"])].drop_duplicates(["id_visitor", "id_show"])
    assert n[("tickets.csv", "ticket of a participant missing from ages.csv")] == len(unknown) > 0
    duplicates = tickets.duplicated(["id_visitor", "id_show"]).sum()
    assert n[("tickets.csv", "duplicate ticket: this participant already has a ticket to this event")] == duplicates > 0
    without_ticket = ~visits.set_index(["id_visitor", "id_show"]).index.isin(tickets.set_index(["id_visitor", "id_show"]).index)
    assert n[("visit.csv", "visit without a ticket")] == visits[without_ticket].drop_duplicates().shape[0] > 0
    # Every ticket line is either in the fact, a rejected record, or its duplicate.
    fact = query(demo_run.warehouse, "select count(*) as n from marts.fct_ticket_attendance")["n"].iloc[0]
    ticket_rejects = sum(v for (f, _), v in n.items() if f == "tickets.csv")
    assert fact + ticket_rejects == len(tickets)
    summary = query(demo_run.warehouse, "select * from marts.rpt_rejection_summary where source_file = 'tickets.csv'").iloc[0]
    assert summary["rows_read"] == len(tickets) and summary["rejected_share"] < 0.05
