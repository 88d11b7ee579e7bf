"""The synthetic generator: raw contract, determinism, planted proportions, dirt, truth."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from synth.generate import Settings, generate, write

FILES = {"tickets.csv": "id_show,id_visitor,sell_date,ticket_cost", "ages.csv": "id_visitor,Age,Region", "show.csv": "kind_of_show,id_show,region", "visit.csv": "id_show,id_visitor,show_date"}


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


@pytest.fixture(scope="module")
def tables():
    return generate(Settings(participants=20_000, seed=11))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        t = generate(Settings(participants=1500, seed=seed))
        write(t, tmp_path / name, tmp_path / f"{name}_truth", "koi8-r")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a_truth") == digest(tmp_path / "b_truth")
    assert digest(tmp_path / "a")["tickets.csv"] != digest(tmp_path / "c")["tickets.csv"]


def test_files_follow_the_raw_contract_in_koi8r(tmp_path, tables):
    write(tables, tmp_path / "raw", tmp_path / "truth", "koi8-r")
    for name, header in FILES.items():
        raw = (tmp_path / "raw" / name).read_bytes()
        assert raw.decode("koi8-r").split("\n", 1)[0] == header
    show_bytes = (tmp_path / "raw" / "show.csv").read_bytes()
    assert "кино".encode("koi8-r") in show_bytes
    with pytest.raises(UnicodeDecodeError):
        show_bytes.decode("utf-8")  # really KOI8-R, not UTF-8
    # The pipeline never reads the truth: it lives outside the raw folder.
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == sorted(FILES)
    assert {p.name for p in (tmp_path / "truth").iterdir()} == {"tickets.parquet", "participants.parquet", "events.parquet"}


def test_utf8_flag_writes_utf8(tmp_path):
    write(generate(Settings(participants=500, seed=1)), tmp_path / "raw", tmp_path / "truth", "utf-8")
    assert "кино" in (tmp_path / "raw" / "show.csv").read_text(encoding="utf-8")


def test_values_are_realistic(tables):
    ages = tables["ages"]
    regions = pd.read_csv(Path(__file__).resolve().parents[1] / "seeds" / "ref_regions.csv", dtype=str)
    assert ages["Age"].astype(int).between(14, 22).all()
    assert set(ages["Region"]) <= set(regions["region_code"])
    assert ages["Region"].nunique() > 70  # population-weighted, yet nearly every region appears
    assert ages["id_visitor"].str.fullmatch(r"\d{5}").all()
    t = tables["tickets"]
    assert t["id_show"].str.fullmatch(r"0\d{3}").all()
    assert "2021-09-01" <= t["sell_date"].min() <= "2021-09-07"  # the program starts 2021-09-01
    merged = t.merge(tables["show"], on="id_show")
    share = merged["kind_of_show"].value_counts(normalize=True)
    assert 0.30 < share["кино"] < 0.45 and 0.15 < share["театр"] < 0.25 and 0.12 < share["музей"] < 0.22
    price = merged["ticket_cost"].astype(int)
    assert 470 < price.mean() < 610
    assert 230 < price[merged["kind_of_show"] == "кино"].mean() < 330
    month = pd.to_datetime(t["sell_date"]).dt.month
    assert (month == 12).sum() > 1.4 * (month == 11).sum()  # the year-end surge
    truth = tables["truth_tickets"]
    assert 0.70 < truth["attended"].mean() < 0.80  # about a quarter do not come


def test_yearly_budget_is_respected(tables):
    t = tables["truth_tickets"].merge(tables["tickets"].drop_duplicates(), on=["id_show", "id_visitor", "sell_date"])
    spent = t.assign(year=t["sell_date"].str[:4], cost=t["ticket_cost"].astype(int)).groupby(["id_visitor", "year"])["cost"].sum()
    assert spent.max() <= 5000


def test_planted_attendance_signal_is_there(tables):
    truth = tables["truth_tickets"].merge(tables["show"], on="id_show")
    by_type = truth.groupby("kind_of_show")["attended"].mean()
    assert by_type["театр"] > by_type["дом культуры"] + 0.08


def test_dirt_at_small_rates(tables):
    t, v = tables["tickets"], tables["visit"]
    duplicates = t.duplicated().sum()
    assert 0 < duplicates < 0.01 * len(t)
    unknown = ~t["id_visitor"].isin(tables["ages"]["id_visitor"])
    assert 0 < unknown.sum() < 0.01 * len(t)
    stray = ~v.set_index(["id_show", "id_visitor"]).index.isin(t.set_index(["id_show", "id_visitor"]).index)
    assert 0 < stray.sum() < 0.01 * len(v)
