"""Raw CSV files -> typed UTF-8 Parquet landing copy that dbt sources read.

Streams each file in batches, so memory does not grow with file size. KOI8-R or UTF-8
is detected (or stated with --encoding) and checked, so that a wrong guess fails
loudly instead of writing mojibake. Rows that cannot be typed go to a quarantine file
with the source file, line number and reason; good rows go on.

The new landing copy is written beside the old one and swapped in only when every file
went through, so a failed ingest leaves the previous landing data as it was.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import paths
from pipeline.progress import Progress

log = logging.getLogger("afisha.ingest")

BATCH_ROWS = 200_000
SAMPLE_BYTES = 1 << 20
ENCODINGS = ("koi8-r", "utf-8")
# KOI8-R maps bytes 0x80-0xBF to box-drawing and other pseudographic characters; they
# never occur in real names, so finding them means UTF-8 bytes were read as KOI8-R.
MOJIBAKE_REGEX = "[\u2500-\u25ff\u2320-\u2321\u2219-\u221a\u2248-\u2265\u00a0\u00b0\u00b2\u00b7\u00f7]"

ID_REGEX = r"^[0-9]+$"
DATE_REGEX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NUMBER_REGEX = r"^-?[0-9]+([.,][0-9]+)?$"
INT_REGEX = r"^-?[0-9]+$"


class IngestError(Exception):
    """A problem with a whole file: the run stops and publishes nothing."""


@dataclass(frozen=True)
class Column:
    raw: str  # header name in the raw file, case-insensitive
    kind: str  # id | text | date | number | int
    required: bool = True
    rule: str | None = None  # price | age | region | program_date: a domain check after typing


@dataclass(frozen=True)
class Rules:
    """Domain rules for single rows. The program began 2021-09-01; older files (such as
    the task's sample files, dated 2020-2021) need an earlier program_start."""

    program_start: date = date(2021, 9, 1)
    today: date = field(default_factory=date.today)
    min_age: int = 14
    max_age: int = 22
    region_codes: frozenset[str] = field(default_factory=lambda: frozenset(_region_codes()))
    ingested_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0))


def _region_codes() -> list[str]:
    with paths.REGIONS_SEED.open(encoding="utf-8") as f:
        return [row["region_code"] for row in csv.DictReader(f)]


@dataclass(frozen=True)
class RawFile:
    name: str
    columns: tuple[Column, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


RAW_FILES: tuple[RawFile, ...] = (
    RawFile("tickets", (Column("id_show", "id"), Column("id_visitor", "id"), Column("sell_date", "date", rule="program_date"), Column("ticket_cost", "number", rule="price"))),
    RawFile("ages", (Column("id_visitor", "id"), Column("age", "int", rule="age"), Column("region", "id", rule="region"))),
    RawFile("show", (Column("kind_of_show", "text"), Column("id_show", "id"), Column("region", "id", required=False, rule="region"))),
    RawFile("visit", (Column("id_show", "id"), Column("id_visitor", "id"), Column("show_date", "date", rule="program_date"))),
)
DEFAULT_MAX_REJECTED_SHARE = 0.05

ARROW_TYPES = {"id": pa.string(), "text": pa.string(), "date": pa.date32(), "number": pa.float64(), "int": pa.int32()}
CHECKS = {"id": (ID_REGEX, "is not a numeric ID"), "date": (DATE_REGEX, "is not a YYYY-MM-DD date"), "number": (NUMBER_REGEX, "is not a number"), "int": (INT_REGEX, "is not a whole number")}

QUARANTINE_SCHEMA = pa.schema(
    [("source_file", pa.string()), ("line_number", pa.int64()), ("reason", pa.string()), ("raw_record", pa.string())]
)


@dataclass
class FileReport:
    file: str
    encoding: str
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    sha256: str = ""
    missing_optional_columns: list[str] = field(default_factory=list)


def detect_encoding(path: Path, stated: str | None = None) -> str:
    """Pick KOI8-R or UTF-8 from a sample, or check the stated one against it.

    UTF-8 is strict: KOI8-R Cyrillic is almost never valid UTF-8. KOI8-R decodes any
    byte, so a UTF-8 file stated as KOI8-R is caught by its valid multi-byte sequences.
    """
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    # A sample cut in the middle of a multi-byte character is still UTF-8.
    try:
        sample.decode("utf-8")
        is_utf8 = True
    except UnicodeDecodeError as e:
        is_utf8 = e.start >= len(sample) - 3 and e.reason == "unexpected end of data"
    has_non_ascii = any(b >= 0x80 for b in sample)
    if stated is None:
        return "utf-8" if is_utf8 else "koi8-r"
    stated = stated.lower().replace("_", "-")
    if stated in ("koi8r",):
        stated = "koi8-r"
    if stated not in ENCODINGS:
        raise IngestError(f"{path.name}: unsupported encoding {stated!r}; use one of {', '.join(ENCODINGS)}")
    if stated == "utf-8" and not is_utf8:
        raise IngestError(f"{path.name}: stated UTF-8 but the bytes are not valid UTF-8 (KOI8-R? try --encoding koi8-r)")
    if stated == "koi8-r" and is_utf8 and has_non_ascii:
        raise IngestError(f"{path.name}: stated KOI8-R but the text is valid UTF-8 with Cyrillic; reading it as KOI8-R would give mojibake (try --encoding utf-8)")
    return stated


def _schema(raw: RawFile) -> pa.Schema:
    fields = [pa.field(c.raw, ARROW_TYPES[c.kind]) for c in raw.columns]
    return pa.schema(fields + [pa.field("_source_line", pa.int64()), pa.field("_ingested_at", pa.timestamp("us"))])


def _rule_violations(col: Column, typed: pa.Array, rules: Rules) -> tuple[pa.Array, str]:
    """(mask of rows breaking the column's domain rule, what to say about them)."""
    if col.rule == "price":
        return pc.less(typed, 0), "is negative"
    if col.rule == "age":
        return pc.or_(pc.less(typed, rules.min_age), pc.greater(typed, rules.max_age)), f"is outside {rules.min_age}-{rules.max_age}"
    if col.rule == "region":
        return pc.invert(pc.is_in(typed, value_set=pa.array(sorted(rules.region_codes)))), "is not one of the 85 region codes"
    if col.rule == "program_date":
        early = pc.less(typed, pa.scalar(rules.program_start, pa.date32()))
        late = pc.greater(typed, pa.scalar(rules.today, pa.date32()))
        return pc.or_(early, late), f"is before the program start {rules.program_start} or after today {rules.today}"
    raise ValueError(col.rule)


def _type_batch(raw: RawFile, header_pos: dict[str, int], rows: list[list[str]], lines: list[int], rules: Rules):
    """Type one batch column by column; return (good table, quarantine rows)."""
    n = len(rows)
    bad_reason = [None] * n
    columns: dict[str, pa.Array] = {}
    for col in raw.columns:
        pos = header_pos.get(col.raw)
        if pos is None:
            columns[col.raw] = pa.nulls(n, ARROW_TYPES[col.kind])
            continue
        values = pc.utf8_trim_whitespace(pa.array([r[pos] for r in rows], pa.string()))
        if col.kind == "text":
            empty = pc.equal(pc.utf8_length(values), 0).to_pylist()
            mojibake = pc.match_substring_regex(values, MOJIBAKE_REGEX).to_pylist()
            if any(mojibake):
                first = mojibake.index(True)
                raise IngestError(
                    f"{raw.file_name} line {lines[first]}: {col.raw} {rows[first][pos]!r} looks like mojibake "
                    "(UTF-8 read as KOI8-R); state the right --encoding"
                )
            for i in (i for i, e in enumerate(empty) if e):
                bad_reason[i] = bad_reason[i] or f"{col.raw} is empty"
            columns[col.raw] = values
            continue
        regex, message = CHECKS[col.kind]
        ok = pc.match_substring_regex(values, regex)
        if col.kind == "date":
            parsed = pc.strptime(pc.if_else(ok, values, None), format="%Y-%m-%d", unit="s", error_is_null=True)
            ok = pc.and_kleene(ok, pc.is_valid(parsed))
            typed = pc.cast(parsed, pa.date32())
        elif col.kind == "number":
            typed = pc.cast(pc.if_else(ok, pc.replace_substring(values, ",", "."), None), pa.float64())
        elif col.kind == "int":
            typed = pc.cast(pc.if_else(ok, values, None), pa.int32())
        elif col.rule == "region":
            # A region code that lost its leading zero ('7') is still the code '07'.
            typed = pc.utf8_lpad(values, 2, "0")
        else:
            typed = values
        for i, good in enumerate(ok.to_pylist()):
            if not good:
                bad_reason[i] = bad_reason[i] or f"{col.raw} {rows[i][pos]!r} {message}"
        if col.rule:
            broken, why = _rule_violations(col, typed, rules)
            for i, b in enumerate(pc.fill_null(broken, False).to_pylist()):
                if b:
                    bad_reason[i] = bad_reason[i] or f"{col.raw} {rows[i][pos].strip()!r} {why}"
        columns[col.raw] = typed
    columns["_source_line"] = pa.array(lines, pa.int64())
    # When the copy was made: dbt's source freshness checks it.
    columns["_ingested_at"] = pa.array([rules.ingested_at] * n, pa.timestamp("us"))
    table = pa.table(columns, schema=_schema(raw))
    good_mask = pa.array([r is None for r in bad_reason])
    quarantined = [(raw.file_name, lines[i], r, ",".join(rows[i])) for i, r in enumerate(bad_reason) if r is not None]
    return table.filter(good_mask), quarantined


def ingest_file(raw: RawFile, raw_dir: Path, out_dir: Path, stated_encoding: str | None, quarantine: list, rules: Rules) -> FileReport:
    path = raw_dir / raw.file_name
    if not path.is_file():
        raise IngestError(f"{raw.file_name}: missing in {raw_dir}")
    if path.stat().st_size == 0:
        raise IngestError(f"{raw.file_name}: empty file (not even a header)")
    encoding = detect_encoding(path, stated_encoding)
    report = FileReport(file=raw.file_name, encoding=encoding, sha256=paths.sha256(path))

    with path.open("rb") as fb:
        text = io.TextIOWrapper(fb, encoding=encoding, newline="", errors="strict")
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise IngestError(f"{raw.file_name}: empty file (not even a header)") from None
        header = [h.strip().lstrip("\ufeff").lower() for h in header]
        header_pos = {h: i for i, h in enumerate(header)}
        missing = [c.raw for c in raw.columns if c.required and c.raw not in header_pos]
        if missing:
            raise IngestError(
                f"{raw.file_name}: missing column(s) {', '.join(missing)}; found {', '.join(header)} "
                f"(expected {', '.join(c.raw for c in raw.columns)})"
            )
        report.missing_optional_columns = [c.raw for c in raw.columns if not c.required and c.raw not in header_pos]
        width = len(header)
        progress = Progress(log, f"ingest {raw.file_name}", unit="rows")
        writer = pq.ParquetWriter(out_dir / f"{raw.name}.parquet", _schema(raw), compression="zstd")
        try:
            rows: list[list[str]] = []
            lines: list[int] = []
            try:
                for row in reader:
                    line = reader.line_num
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # blank line
                    report.rows_read += 1
                    if len(row) != width:
                        quarantine.append((raw.file_name, line, f"wrong column count: expected {width}, got {len(row)}", ",".join(row)))
                        continue
                    rows.append(row)
                    lines.append(line)
                    if len(rows) >= BATCH_ROWS:
                        report.rows_landed += _flush(raw, header_pos, rows, lines, writer, quarantine, rules)
                        progress.add(len(rows))
                        rows, lines = [], []
            except UnicodeDecodeError as e:
                raise IngestError(f"{raw.file_name}: not valid {encoding} after line {reader.line_num} ({e.reason}); state the right --encoding") from None
            except csv.Error as e:
                raise IngestError(f"{raw.file_name} line {reader.line_num}: unreadable CSV ({e})") from None
            if rows:
                report.rows_landed += _flush(raw, header_pos, rows, lines, writer, quarantine, rules)
        finally:
            writer.close()
    report.rows_quarantined = report.rows_read - report.rows_landed
    return report


def _flush(raw: RawFile, header_pos, rows, lines, writer: pq.ParquetWriter, quarantine: list, rules: Rules) -> int:
    good, bad = _type_batch(raw, header_pos, rows, lines, rules)
    writer.write_table(good)
    quarantine.extend(bad)
    return good.num_rows


def ingest(
    raw_dir: Path,
    landing_dir: Path,
    encoding: str | None = None,
    rules: Rules | None = None,
    max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE,
) -> list[FileReport]:
    """Ingest all four files into a fresh folder, then swap it in for landing_dir.

    Above `max_rejected_share` of a file's rows quarantined, the run stops and the
    previous landing copy stays as it was: a broken export publishes nothing."""
    rules = rules or Rules()
    raw_dir, landing_dir = raw_dir.resolve(), landing_dir.resolve()
    if not raw_dir.is_dir():
        raise IngestError(f"raw directory {raw_dir} does not exist")
    landing_dir.parent.mkdir(parents=True, exist_ok=True)
    work = landing_dir.with_name(f".{landing_dir.name}.incoming-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        quarantine: list[tuple] = []
        reports = [ingest_file(raw, raw_dir, work, encoding, quarantine, rules) for raw in RAW_FILES]
        for r in reports:
            share = r.rows_quarantined / r.rows_read if r.rows_read else 0.0
            if share > max_rejected_share:
                reasons = [f"line {q[1]}: {q[2]}" for q in quarantine if q[0] == r.file][:3]
                raise IngestError(
                    f"{r.file}: {r.rows_quarantined} of {r.rows_read} rows ({share:.1%}) rejected, above the "
                    f"{max_rejected_share:.0%} threshold; nothing published. First reasons: {'; '.join(reasons)}"
                )
        q = pa.table(list(zip(*quarantine)) if quarantine else [[] for _ in QUARANTINE_SCHEMA], schema=QUARANTINE_SCHEMA)
        pq.write_table(q, work / "quarantine.parquet")
        manifest = {
            "raw_dir": str(raw_dir),
            "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": [r.__dict__ for r in reports],
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        _swap_in(work, landing_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return reports


def _swap_in(work: Path, landing_dir: Path) -> None:
    old = landing_dir.with_name(f".{landing_dir.name}.previous-{os.getpid()}")
    if landing_dir.exists():
        os.replace(landing_dir, old)
    os.replace(work, landing_dir)
    shutil.rmtree(old, ignore_errors=True)


def add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--program-start", type=date.fromisoformat, default=date.fromisoformat(os.environ.get("AFISHA_PROGRAM_START", "2021-09-01")), help="rows dated earlier are rejected (default $AFISHA_PROGRAM_START or 2021-09-01; the task's sample files need 2020-01-01)")
    parser.add_argument("--max-rejected-share", type=float, default=float(os.environ.get("AFISHA_MAX_REJECTED_SHARE", DEFAULT_MAX_REJECTED_SHARE)), help="stop and publish nothing above this share of rejected rows in a file (default $AFISHA_MAX_REJECTED_SHARE or %(default)s)")


def rules_from_args(args: argparse.Namespace) -> Rules:
    return Rules(program_start=args.program_start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", type=Path, default=None, help="folder with tickets.csv, ages.csv, show.csv, visit.csv (default $AFISHA_RAW_DIR or data/raw/demo)")
    parser.add_argument("--landing-dir", type=Path, default=None, help="output folder (default $AFISHA_LANDING_DIR or data/landing)")
    parser.add_argument("--encoding", default=None, help="koi8-r or utf-8 (default: detect per file)")
    add_rule_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    raw_dir = args.raw_dir or paths.raw_dir()
    landing = args.landing_dir or paths.landing_dir()
    t0 = time.perf_counter()
    try:
        reports = ingest(raw_dir, landing, args.encoding, rules_from_args(args), args.max_rejected_share)
    except IngestError as e:
        log.error("ingest failed, landing data left as it was: %s", e)
        return 1
    for r in reports:
        log.info("%-11s %-6s read %9d  landed %9d  quarantined %6d", r.file, r.encoding, r.rows_read, r.rows_landed, r.rows_quarantined)
    log.info("landing copy in %s (%.1fs)", landing, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
