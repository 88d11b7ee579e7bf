"""Ingest: encodings (KOI8-R with Cyrillic, UTF-8), typing, quarantine, atomic landing."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datetime import date

from ingest.ingest import IngestError, Rules, detect_encoding, ingest

SEED_RULES = Rules(program_start=date(2020, 1, 1))

SHOW = "kind_of_show,id_show,region\nкино,0001,77\nтеатр,0002,05\nдом культуры,0003,92\n"
TICKETS = "id_show,id_visitor,sell_date,ticket_cost\n0001,00007,2021-09-03,290\n0002,00012,2021-09-04,900\n"
AGES = "id_visitor,Age,Region\n00007,15,77\n00012,21,05\n"
VISIT = "id_show,id_visitor,show_date\n0001,00007,2021-09-05\n"


def write_raw(folder: Path, encoding: str = "koi8-r", **overrides: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"show.csv": SHOW, "tickets.csv": TICKETS, "ages.csv": AGES, "visit.csv": VISIT}
    for name, text in {**files, **overrides}.items():
        (folder / name).write_bytes(text.encode(encoding))
    return folder


def landed(landing: Path, name: str) -> list[dict]:
    return pq.read_table(landing / f"{name}.parquet").to_pylist()


def test_koi8r_cyrillic_round_trip(tmp_path):
    raw = write_raw(tmp_path / "raw", "koi8-r")
    reports = ingest(raw, tmp_path / "landing")
    assert {r.file: r.encoding for r in reports}["show.csv"] == "koi8-r"
    show = landed(tmp_path / "landing", "show")
    assert [r["kind_of_show"] for r in show] == ["кино", "театр", "дом культуры"]
    # IDs and region codes stay zero-padded text.
    assert [r["id_show"] for r in show] == ["0001", "0002", "0003"]
    assert [r["region"] for r in show] == ["77", "05", "92"]
    tickets = landed(tmp_path / "landing", "tickets")
    assert tickets[0]["id_visitor"] == "00007" and tickets[0]["ticket_cost"] == 290.0
    assert str(tickets[0]["sell_date"]) == "2021-09-03" and tickets[0]["_source_line"] == 2


def test_utf8_is_detected(tmp_path):
    raw = write_raw(tmp_path / "raw", "utf-8")
    reports = ingest(raw, tmp_path / "landing")
    assert {r.file: r.encoding for r in reports}["show.csv"] == "utf-8"
    assert landed(tmp_path / "landing", "show")[1]["kind_of_show"] == "театр"


def test_wrong_stated_encoding_fails_instead_of_mojibake(tmp_path):
    utf8 = write_raw(tmp_path / "utf8", "utf-8")
    koi8 = write_raw(tmp_path / "koi8", "koi8-r")
    with pytest.raises(IngestError, match="mojibake|UTF-8"):
        ingest(utf8, tmp_path / "landing", encoding="koi8-r")
    with pytest.raises(IngestError, match="not valid UTF-8"):
        ingest(koi8, tmp_path / "landing", encoding="utf-8")
    assert not (tmp_path / "landing").exists()


def test_detection_on_a_sample_cut_mid_character(tmp_path):
    path = tmp_path / "show.csv"
    path.write_bytes(("kind_of_show,id_show\n" + "театр,0001\n" * 200_000).encode("utf-8"))
    assert detect_encoding(path) == "utf-8"


def test_bad_rows_are_quarantined_with_line_and_reason(tmp_path):
    tickets = TICKETS + "0003,00012,2021-13-40,100\n0003,00007,2021-10-01,abc\n0003,00007,2021-10-01\n0003,00099,2021-10-02,500,extra\n00x3,00007,2021-10-03,100\n"
    raw = write_raw(tmp_path / "raw", **{"tickets.csv": tickets})
    reports = {r.file: r for r in ingest(raw, tmp_path / "landing", max_rejected_share=1.0)}
    assert reports["tickets.csv"].rows_read == 7 and reports["tickets.csv"].rows_landed == 2
    quarantine = {r["line_number"]: r for r in landed(tmp_path / "landing", "quarantine")}
    assert set(quarantine) == {4, 5, 6, 7, 8}
    assert "sell_date" in quarantine[4]["reason"] and "not a YYYY-MM-DD date" in quarantine[4]["reason"]
    assert "ticket_cost" in quarantine[5]["reason"]
    assert quarantine[6]["reason"] == "wrong column count: expected 4, got 3"
    assert quarantine[7]["reason"] == "wrong column count: expected 4, got 5"
    assert "id_show" in quarantine[8]["reason"]
    assert all(r["source_file"] == "tickets.csv" for r in quarantine.values())


def test_show_without_region_column_lands_null_region(tmp_path):
    raw = write_raw(tmp_path / "raw", **{"show.csv": "kind_of_show,id_show\nкино,0001\n"})
    reports = {r.file: r for r in ingest(raw, tmp_path / "landing")}
    assert reports["show.csv"].missing_optional_columns == ["region"]
    [row] = landed(tmp_path / "landing", "show")
    assert {k: row[k] for k in ("kind_of_show", "id_show", "region", "_source_line")} == {"kind_of_show": "кино", "id_show": "0001", "region": None, "_source_line": 2}


def test_failed_ingest_leaves_previous_landing_intact(tmp_path):
    raw = write_raw(tmp_path / "raw")
    landing = tmp_path / "landing"
    ingest(raw, landing)
    before = (landing / "tickets.parquet").read_bytes()
    (raw / "visit.csv").unlink()
    with pytest.raises(IngestError, match="visit.csv: missing"):
        ingest(raw, landing)
    assert (landing / "tickets.parquet").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landing", "raw"]  # no half-written folder left


def test_missing_column_and_empty_file_are_clear_errors(tmp_path):
    raw = write_raw(tmp_path / "a", **{"ages.csv": "id_visitor,Age\n00007,15\n"})
    with pytest.raises(IngestError, match="ages.csv: missing column\\(s\\) region"):
        ingest(raw, tmp_path / "landing")
    raw = write_raw(tmp_path / "b", **{"visit.csv": ""})
    with pytest.raises(IngestError, match="visit.csv: empty file"):
        ingest(raw, tmp_path / "landing")


def test_seed_files_ingest_as_delivered(tmp_path):
    from conftest import SEED_DATA

    reports = {r.file: r for r in ingest(SEED_DATA, tmp_path / "landing", rules=SEED_RULES)}
    assert {f: r.rows_landed for f, r in reports.items()} == {"tickets.csv": 9, "ages.csv": 19, "show.csv": 6, "visit.csv": 8}
    assert all(r.rows_quarantined == 0 for r in reports.values())


def test_domain_rules_quarantine_rows_that_parse_but_cannot_be_true(tmp_path):
    tickets = TICKETS + "0001,00012,2021-09-05,-10\n0001,00012,2019-05-01,100\n0003,00007,2999-01-01,100\n"
    ages = AGES + "00030,30,77\n00031,16,99\n00032,16,7\n"
    raw = write_raw(tmp_path / "raw", **{"tickets.csv": tickets, "ages.csv": ages})
    reports = {r.file: r for r in ingest(raw, tmp_path / "landing", rules=Rules(today=date(2026, 1, 1)), max_rejected_share=1.0)}
    reasons = {(r["source_file"], r["line_number"]): r["reason"] for r in landed(tmp_path / "landing", "quarantine")}
    assert reasons == {
        ("tickets.csv", 4): "ticket_cost '-10' is negative",
        ("tickets.csv", 5): "sell_date '2019-05-01' is before the program start 2021-09-01 or after today 2026-01-01",
        ("tickets.csv", 6): "sell_date '2999-01-01' is before the program start 2021-09-01 or after today 2026-01-01",
        ("ages.csv", 4): "age '30' is outside 14-22",
        ("ages.csv", 5): "region '99' is not one of the 85 region codes",
    }
    assert reports["ages.csv"].rows_landed == 3
    assert landed(tmp_path / "landing", "ages")[-1]["region"] == "07"  # a lost leading zero is restored


def test_above_the_rejected_share_nothing_is_published(tmp_path):
    raw = write_raw(tmp_path / "raw")
    landing = tmp_path / "landing"
    ingest(raw, landing)
    before = {p.name: p.read_bytes() for p in landing.iterdir()}
    write_raw(raw, **{"tickets.csv": TICKETS + "0001,00012,not-a-date,100\n"})  # 1 of 3 rows: 33 %
    with pytest.raises(IngestError, match=r"tickets.csv: 1 of 3 rows \(33.3%\) rejected, above the 5% threshold; nothing published"):
        ingest(raw, landing)
    assert {p.name: p.read_bytes() for p in landing.iterdir()} == before
    ingest(raw, landing, max_rejected_share=0.5)  # a higher threshold lets it through
    assert len(landed(landing, "quarantine")) == 1


def test_stale_landing_copy_fails_dbt_source_freshness(tmp_path):
    from datetime import datetime, timedelta

    from conftest import afisha_env, dbt

    raw = write_raw(tmp_path / "raw")
    env = afisha_env(tmp_path / "landing", tmp_path / "wh.duckdb", tmp_path / "artifacts")
    ingest(raw, tmp_path / "landing", rules=Rules(ingested_at=datetime.now() - timedelta(days=8)))
    stale = dbt("source", "freshness", env=env, check=False)
    assert stale.returncode != 0 and "ERROR STALE" in stale.stdout
    ingest(raw, tmp_path / "landing")
    assert dbt("source", "freshness", env=env, check=False).returncode == 0


def test_truncated_last_line_is_quarantined(tmp_path):
    cut = TICKETS + "0003,00012,2021-0"  # the export stopped mid-row, no newline
    raw = write_raw(tmp_path / "raw", **{"tickets.csv": cut})
    reports = {r.file: r for r in ingest(raw, tmp_path / "landing", max_rejected_share=1.0)}
    assert reports["tickets.csv"].rows_landed == 2
    [row] = landed(tmp_path / "landing", "quarantine")
    assert (row["line_number"], row["reason"]) == (4, "wrong column count: expected 4, got 3")
