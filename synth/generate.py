"""Synthetic raw data in the program's raw format, with planted structure.

Writes the four raw files (tickets.csv, ages.csv, show.csv, visit.csv) exactly as the
program delivers them (KOI8-R by default, zero-padded text IDs), plus the ground truth
(true attendance probability per ticket, true type preferences per participant) into a
separate folder that the pipeline never reads; only the evaluation looks at it.

Everything is vectorised with numpy so that a million tickets take seconds, and the
output depends only on the arguments (same seed, same bytes).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import paths
from pipeline.progress import Progress

log = logging.getLogger("afisha.synth")

PROGRAM_START = date(2021, 9, 1)
YEARLY_BUDGET_RUB = 5000


@dataclass(frozen=True)
class OrgType:
    raw: str  # as the program's files spell it (Cyrillic)
    ticket_share: float  # share of all tickets, after the real program
    mean_price_rub: float
    max_lead_days: int  # how far ahead tickets are bought
    attendance_effect: float  # logit shift of the chance to come


ORG_TYPES: tuple[OrgType, ...] = (
    OrgType("кино", 0.40, 290, 4, 0.35),
    OrgType("театр", 0.20, 950, 40, 0.55),
    OrgType("музей", 0.17, 400, 10, -0.05),
    OrgType("дом культуры", 0.13, 350, 21, -0.45),
    OrgType("концерт", 0.08, 1300, 40, 0.40),
    OrgType("выставка", 0.012, 400, 14, -0.25),
    OrgType("цирк", 0.008, 900, 30, 0.30),
)
N_TYPES = len(ORG_TYPES)
TYPE_INDEX = {t.raw: i for i, t in enumerate(ORG_TYPES)}

# Planted taste: logit shifts of type preference by age band (14-15, 16-18, 19-22).
AGE_BANDS = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])  # index = age - 14
AGE_TASTE = np.array(
    [  # кино, театр, музей, ДК, концерт, выставка, цирк
        [0.35, -0.20, 0.25, 0.10, -0.60, 0.00, 0.40],
        [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
        [-0.15, 0.30, -0.25, -0.40, 0.55, 0.20, -0.30],
    ]
)
# Capitals have more theatres and museums, fewer houses of culture.
CAPITAL_TASTE = np.array([-0.10, 0.45, 0.30, -0.80, 0.15, 0.30, 0.00])
CAPITALS = ("77", "78")

# Month (Jan..Dec) and weekday (Mon..Sun) weights of purchases. December is the
# surge before the yearly balance expires; summer is slow.
MONTH_WEIGHT = np.array([0.8, 0.9, 1.0, 1.0, 0.9, 0.6, 0.55, 0.6, 0.9, 1.0, 1.1, 1.9])
WEEKDAY_WEIGHT = np.array([0.85, 0.85, 0.9, 0.95, 1.15, 1.2, 1.1])

HOME_REGION_SHARE = 0.93
DIRT_DUPLICATE_TICKETS = 0.003
DIRT_VISITS_WITHOUT_TICKET = 0.002
DIRT_TICKETS_UNKNOWN_PARTICIPANT = 0.001


@dataclass(frozen=True)
class Settings:
    participants: int
    seed: int = 42
    start: date = PROGRAM_START
    days: int = 487  # 2021-09-01 .. 2022-12-31: one full calendar year after the launch
    # The real program has ~200k events for ~10M holders (1/50); small demo data sets get
    # a denser catalogue so that every region has events to choose between.
    events_per_participant: float = 1 / 25
    tickets_per_year: float = 7.0
    event_region_column: bool = True
    dirt: bool = True

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def _regions() -> pd.DataFrame:
    # The regions seed is the single source of truth for codes and population.
    return pd.read_csv(paths.REGIONS_SEED, dtype={"region_code": str})


def _pad(ids: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(ids.astype(str), width)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows x k) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


def _participants(s: Settings, n: int, rng: np.random.Generator, regions: pd.DataFrame, region_taste: np.ndarray) -> pd.DataFrame:
    region_p = regions["population_thousands"].to_numpy(float)
    region_idx = rng.choice(len(regions), size=n, p=region_p / region_p.sum())
    age = 14 + rng.choice(9, size=n, p=[0.10, 0.12, 0.13, 0.13, 0.12, 0.11, 0.10, 0.10, 0.09])
    region_codes = regions["region_code"].to_numpy()[region_idx]
    activity = rng.gamma(1.3, s.tickets_per_year / 1.3, size=n)
    personal_taste = (
        AGE_TASTE[AGE_BANDS[age - 14]]
        + np.isin(region_codes, CAPITALS)[:, None] * CAPITAL_TASTE[None, :]
        + region_taste[region_idx]
        + rng.normal(0, 0.6, size=(n, N_TYPES))
    )
    # Calibrate the common base so that the expected ticket mix matches the program's
    # shares despite the tastes layered on top (a few fixed-point steps suffice).
    target = np.array([t.ticket_share for t in ORG_TYPES])
    base = np.log(target)
    for _ in range(6):
        preference = _softmax(base[None, :] + personal_taste)
        realised = (preference * activity[:, None]).sum(axis=0)
        base += np.log(target / (realised / realised.sum()))
    preference = _softmax(base[None, :] + personal_taste)
    # Most join in the first weeks of the program, the rest over time.
    join_offset = (rng.beta(1.0, 2.5, size=n) * (s.days - 30)).astype(int)
    return pd.DataFrame(
        {
            "idx": np.arange(n),
            "age": age,
            "region_idx": region_idx,
            "region_code": region_codes,
            "activity": activity,
            "reliability": rng.normal(0, 1, size=n),
            "join_offset": join_offset,
        }
    ), preference


def _events(s: Settings, rng: np.random.Generator, regions: pd.DataFrame) -> pd.DataFrame:
    n = max(60, round(s.participants * s.events_per_participant))
    shares = np.array([t.ticket_share for t in ORG_TYPES])
    type_idx = rng.choice(N_TYPES, size=n, p=shares / shares.sum())
    region_p = regions["population_thousands"].to_numpy(float)
    region_idx = rng.choice(len(regions), size=n, p=region_p / region_p.sum())
    mean_price = np.array([t.mean_price_rub for t in ORG_TYPES])[type_idx]
    price = np.maximum(50, np.round(mean_price * rng.lognormal(-0.06, 0.35, size=n), -1))
    popularity = rng.lognormal(0, 1.0, size=n)
    return pd.DataFrame(
        {
            "idx": np.arange(n),
            "type_idx": type_idx,
            "region_idx": region_idx,
            "price": price,
            "popularity": popularity,
            # Dearer events sell less, other things equal.
            "choice_weight": popularity * (price / mean_price) ** -0.8,
        }
    )


def _day_weights(s: Settings) -> np.ndarray:
    days = pd.date_range(s.start, periods=s.days, freq="D")
    return MONTH_WEIGHT[days.month - 1] * WEEKDAY_WEIGHT[days.day_of_week]


def _pick_events(
    rng: np.random.Generator,
    events: pd.DataFrame,
    type_idx: np.ndarray,
    region_idx: np.ndarray,
    n_regions: int,
) -> np.ndarray:
    """Pick an event per ticket within its (region, type) group, by choice weight.

    Groups are laid out one after another in a single cumulative-weight array, so one
    searchsorted call serves every ticket. A ticket whose group has no event falls back
    to its type's events anywhere in the country.
    """

    def sample(group_of_event: np.ndarray, n_groups: int, ticket_group: np.ndarray) -> np.ndarray:
        order = np.lexsort((events["idx"].to_numpy(), group_of_event))
        weights = events["choice_weight"].to_numpy()[order]
        cum = np.cumsum(weights)
        sorted_groups = group_of_event[order]
        starts = np.searchsorted(sorted_groups, np.arange(n_groups), side="left")
        ends = np.searchsorted(sorted_groups, np.arange(n_groups), side="right")
        base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        total = np.where(ends > starts, cum[np.maximum(ends - 1, 0)] - base, 0.0)
        g = ticket_group
        target = base[g] + rng.random(len(g)) * total[g]
        pos = np.clip(np.searchsorted(cum, target, side="right"), starts[g], np.maximum(ends[g] - 1, 0))
        return np.where(total[g] > 0, order[np.minimum(pos, len(order) - 1)], -1)

    ev_type = events["type_idx"].to_numpy()
    ev_group = events["region_idx"].to_numpy() * N_TYPES + ev_type
    picked = sample(ev_group, n_regions * N_TYPES, region_idx * N_TYPES + type_idx)
    missing = picked < 0
    if missing.any():
        picked[missing] = sample(ev_type, N_TYPES, type_idx[missing])
    return picked


def _tickets(
    s: Settings,
    rng: np.random.Generator,
    people: pd.DataFrame,
    preference: np.ndarray,
    events: pd.DataFrame,
    regions: pd.DataFrame,
) -> pd.DataFrame:
    years_active = (s.days - people["join_offset"].to_numpy()) / 365.0
    # Draw more than the budget allows; the yearly budget cut below trims them.
    counts = rng.poisson(people["activity"].to_numpy() * years_active * 1.15)
    who = np.repeat(people["idx"].to_numpy(), counts)

    day_w = _day_weights(s)
    cdf = np.cumsum(day_w) / day_w.sum()
    join = people["join_offset"].to_numpy()[who]
    lo = np.where(join > 0, cdf[np.maximum(join - 1, 0)], 0.0)
    u = lo + rng.random(len(who)) * (1 - lo)
    purchase_offset = np.minimum(np.searchsorted(cdf, u), s.days - 1)

    type_idx = _categorical(rng, preference[who])
    home = people["region_idx"].to_numpy()[who]
    region_p = regions["population_thousands"].to_numpy(float)
    away = rng.choice(len(regions), size=len(who), p=region_p / region_p.sum())
    region_idx = np.where(rng.random(len(who)) < HOME_REGION_SHARE, home, away)
    event_idx = _pick_events(rng, events, type_idx, region_idx, len(regions))

    t = pd.DataFrame({"who": who, "event": event_idx, "purchase_offset": purchase_offset})
    # One ticket per participant and event, as the card allows.
    t = t.sort_values(["who", "purchase_offset", "event"], kind="stable")
    t = t.drop_duplicates(["who", "event"], keep="first")
    t["price"] = events["price"].to_numpy()[t["event"].to_numpy()]
    purchase_year = (pd.Timestamp(s.start) + pd.to_timedelta(t["purchase_offset"], unit="D")).dt.year
    spent = t.groupby([t["who"], purchase_year])["price"].cumsum()
    t = t[spent.to_numpy() <= YEARLY_BUDGET_RUB].reset_index(drop=True)
    return t


def _attendance(s: Settings, rng: np.random.Generator, t: pd.DataFrame, people: pd.DataFrame, events: pd.DataFrame):
    ev_type = events["type_idx"].to_numpy()[t["event"].to_numpy()]
    max_lead = np.array([o.max_lead_days for o in ORG_TYPES])[ev_type]
    lead = np.floor(rng.random(len(t)) ** 2 * (max_lead + 1)).astype(int)
    show_offset = t["purchase_offset"].to_numpy() + lead
    show_weekday = (pd.Timestamp(s.start).day_of_week + show_offset) % 7
    type_mean = np.array([o.mean_price_rub for o in ORG_TYPES])[ev_type]
    who = t["who"].to_numpy()
    is_home = people["region_idx"].to_numpy()[who] == events["region_idx"].to_numpy()[t["event"].to_numpy()]
    age = people["age"].to_numpy()[who]
    logit = (
        1.0
        + 1.3 * np.array([o.attendance_effect for o in ORG_TYPES])[ev_type]
        + 0.55 * people["reliability"].to_numpy()[who]
        + 0.80 * np.log(t["price"].to_numpy() / type_mean)
        - 0.15 * lead / 30.0
        + 0.15 * (show_weekday >= 5)
        + 0.35 * is_home
        - 0.20 * (age >= 19)
    )
    p = 1 / (1 + np.exp(-logit))
    attended = rng.random(len(t)) < p
    return p, attended, show_offset


BLOCK_PARTICIPANTS = 250_000  # memory is bounded by one block, whatever the scale


def generate_blocks(s: Settings) -> Iterator[dict[str, pd.DataFrame]]:
    """Yield the data participant block by participant block.

    Events and regional tastes are drawn once; each block of participants has its own
    random stream (seeded by seed and block number), so the output depends only on the
    arguments. The first block also carries show.csv and the events' ground truth.
    """
    common = np.random.default_rng([s.seed, 0])
    regions = _regions()
    events = _events(s, common, regions)
    # Every region has its own slight taste too, so region is informative beyond capitals.
    region_taste = common.normal(0, 0.25, size=(len(regions), N_TYPES))
    start = np.datetime64(s.start.isoformat())
    pid_width = max(5, len(str(2 * s.participants + 1000)))
    eid = _pad(events["idx"].to_numpy() + 1, max(4, len(str(len(events)))))
    kinds = np.array([o.raw for o in ORG_TYPES])[events["type_idx"]]
    event_regions = regions["region_code"].to_numpy()[events["region_idx"]]

    for block, offset in enumerate(range(0, s.participants, BLOCK_PARTICIPANTS)):
        n = min(BLOCK_PARTICIPANTS, s.participants - offset)
        rng = np.random.default_rng([s.seed, block + 1])
        people, preference = _participants(s, n, rng, regions, region_taste)
        t = _tickets(s, rng, people, preference, events, regions)
        p, attended, show_offset = _attendance(s, rng, t, people, events)
        pid = _pad(offset + people["idx"].to_numpy() + 1, pid_width)

        sell_date = (start + t["purchase_offset"].to_numpy().astype("timedelta64[D]")).astype(str)
        show_date = (start + show_offset.astype("timedelta64[D]")).astype(str)
        tickets = pd.DataFrame(
            {
                "id_show": eid[t["event"].to_numpy()],
                "id_visitor": pid[t["who"].to_numpy()],
                "sell_date": sell_date,
                "ticket_cost": t["price"].astype(int).astype(str).to_numpy(),
            }
        )
        # A visit is recorded only once it has happened by the data's end date.
        happened = attended & (show_offset <= s.days - 1)
        visits = pd.DataFrame(
            {"id_show": tickets["id_show"][happened], "id_visitor": tickets["id_visitor"][happened], "show_date": show_date[happened]}
        )
        out = {
            "ages": pd.DataFrame({"id_visitor": pid, "Age": people["age"].astype(str), "Region": people["region_code"].to_numpy()}),
            "truth_tickets": tickets[["id_show", "id_visitor", "sell_date"]].assign(show_date=show_date, attendance_probability=p, attended=attended),
            "truth_participants": pd.DataFrame({"id_visitor": pid, "reliability": people["reliability"], "activity_per_year": people["activity"]}),
        }
        for i, o in enumerate(ORG_TYPES):
            out["truth_participants"][f"preference_{o.raw}"] = preference[:, i]
        if s.dirt:
            tickets, visits = _add_dirt(rng, tickets, visits, pid_width, s.participants + offset)
        out["tickets"] = tickets.sort_values("sell_date", kind="stable").reset_index(drop=True)
        out["visit"] = visits.sort_values("show_date", kind="stable").reset_index(drop=True)
        if block == 0:
            out["show"] = pd.DataFrame({"kind_of_show": kinds, "id_show": eid})
            if s.event_region_column:
                out["show"]["region"] = event_regions
            out["truth_events"] = pd.DataFrame(
                {
                    "id_show": eid,
                    "kind_of_show": kinds,
                    "region": event_regions,
                    "popularity": events["popularity"],
                    "price_rub": events["price"],
                    # What a ticket buyer in the event's region and type picks it by: the true interest.
                    "choice_weight": events["choice_weight"],
                }
            )
        yield out


def generate(s: Settings) -> dict[str, pd.DataFrame]:
    """All blocks in memory at once: for small data and tests."""
    blocks = list(generate_blocks(s))
    return {name: pd.concat([b[name] for b in blocks if name in b], ignore_index=True) for name in blocks[0]}


def _add_dirt(rng, tickets: pd.DataFrame, visits: pd.DataFrame, pid_width: int, first_unknown_id: int):
    """A little of the dirt real exports carry, at small realistic rates."""
    n = len(tickets)
    dup = tickets.iloc[rng.choice(n, size=int(n * DIRT_DUPLICATE_TICKETS), replace=False)]
    unknown = tickets.iloc[rng.choice(n, size=max(1, int(n * DIRT_TICKETS_UNKNOWN_PARTICIPANT)), replace=False)].copy()
    # IDs past the last real participant: in tickets.csv, missing from ages.csv.
    unknown["id_visitor"] = _pad(first_unknown_id + 1 + np.arange(len(unknown)), pid_width)
    stray = visits.iloc[rng.choice(len(visits), size=max(1, int(n * DIRT_VISITS_WITHOUT_TICKET)), replace=False)].copy()
    stray["id_visitor"] = tickets["id_visitor"].to_numpy()[rng.choice(n, size=len(stray))]
    return pd.concat([tickets, dup, unknown], ignore_index=True), pd.concat([visits, stray], ignore_index=True)


RAW_NAMES = ("tickets", "ages", "show", "visit")
TRUTH_NAMES = ("truth_tickets", "truth_participants", "truth_events")


def write_blocks(blocks: Iterable[dict[str, pd.DataFrame]], out: Path, truth_dir: Path, encoding: str) -> dict[str, int]:
    """Append each block to the four raw files and the truth files; return row counts."""
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(RAW_NAMES, 0)
    files = {name: (out / f"{name}.csv").open("w", encoding=encoding, newline="") for name in RAW_NAMES}
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for block in blocks:
            for name in RAW_NAMES:
                if name in block:
                    # "\n" line ends as in the sample files; plain, unquoted CSV.
                    block[name].to_csv(files[name], index=False, header=counts[name] == 0 and files[name].tell() == 0, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
                    counts[name] += len(block[name])
            for name in TRUTH_NAMES:
                if name in block:
                    table = pa.Table.from_pandas(block[name], preserve_index=False)
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(truth_dir / f"{name.removeprefix('truth_')}.parquet", table.schema)
                    writers[name].write_table(table)
    finally:
        for f in files.values():
            f.close()
        for w in writers.values():
            w.close()
    return counts


def with_progress(blocks: Iterable[dict[str, pd.DataFrame]], participants: int) -> Iterator[dict[str, pd.DataFrame]]:
    progress = Progress(log, "generate", total=participants, unit="participants")
    for block in blocks:
        yield block
        progress.add(len(block["ages"]))


def write(tables: dict[str, pd.DataFrame], out: Path, truth_dir: Path, encoding: str) -> dict[str, int]:
    return write_blocks([tables], out, truth_dir, encoding)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synth", description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=20_000, help="number of card holders (default 20000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed; same seed, same files")
    parser.add_argument("--out", type=Path, default=paths.DEMO_RAW_DIR, help=f"raw output folder (default {paths.DEMO_RAW_DIR})")
    parser.add_argument("--truth-dir", type=Path, help="ground-truth folder (default: <out>_truth beside --out)")
    parser.add_argument("--encoding", choices=["koi8-r", "utf-8"], default="koi8-r", help="raw file encoding (default koi8-r, as delivered)")
    parser.add_argument("--days", type=int, default=Settings.days, help="days of data from 2021-09-01 (default %(default)s)")
    parser.add_argument("--no-event-region", action="store_true", help="omit show.csv's region column, as the sample files do")
    parser.add_argument("--no-dirt", action="store_true", help="no duplicates, stray visits or unknown participants")
    parser.add_argument("--events-per-participant", type=float, default=Settings.events_per_participant, help="catalogue density (default 1/25; the real program has about 1/50)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    s = Settings(
        participants=args.participants,
        seed=args.seed,
        days=args.days,
        event_region_column=not args.no_event_region,
        dirt=not args.no_dirt,
        events_per_participant=args.events_per_participant,
    )
    truth_dir = args.truth_dir or args.out.with_name(args.out.name + "_truth")
    t0 = time.perf_counter()
    summary = write_blocks(with_progress(generate_blocks(s), s.participants), args.out, truth_dir, args.encoding)
    log.info("wrote %s to %s (%s) and ground truth to %s in %.1fs", json.dumps(summary), args.out, args.encoding, truth_dir, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
