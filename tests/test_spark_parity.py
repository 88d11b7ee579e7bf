"""The same dbt project on Spark (dbt-spark, local session) and on DuckDB, from the same
landing files: every mart holds the same rows.

Spark writes its tables as Parquet under AFISHA_SPARK_DIR; DuckDB reads those files and
compares them with its own build, row for row (conftest.rows_differing)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import afisha_env, dbt, generate, python, rows_differing

PARITY_PARTICIPANTS = 600


@pytest.fixture(scope="module")
def both_builds(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("parity")
    raw = generate(tmp / "raw", PARITY_PARTICIPANTS, 11)
    landing, warehouse, spark_dir = tmp / "landing", tmp / "afisha.duckdb", tmp / "spark"
    env = afisha_env(landing, warehouse, tmp / "artifacts", AFISHA_SPARK_DIR=str(spark_dir))
    python("-m", "ingest", "--raw-dir", str(raw), env=env, check=True)
    dbt("build", "--target-path", str(tmp / "target_duckdb"), env=env)
    spark = dbt("build", "--target", "spark", "--target-path", str(tmp / "target_spark"), env=env)
    assert "Completed successfully" in spark.stdout
    return warehouse, spark_dir / "tables"


def spark_tables(tables_dir: Path, schema: str) -> dict[str, Path]:
    return {p.name: p for p in sorted((tables_dir / f"{schema}.db").iterdir()) if p.is_dir()}


def differences(con: duckdb.DuckDBPyConnection, duck_table: str, spark_files: Path) -> tuple[int, int, int]:
    """(rows in DuckDB, rows in Spark, rows in one and not in the other)."""
    spark = f"read_parquet('{spark_files}/*.parquet')"
    duck_rows = con.execute(f"select count(*) from {duck_table}").fetchone()[0]
    spark_rows = con.execute(f"select count(*) from {spark}").fetchone()[0]
    return duck_rows, spark_rows, rows_differing(con, duck_table, spark)


def test_every_mart_is_the_same_on_spark_and_duckdb(both_builds):
    warehouse, tables_dir = both_builds
    marts = spark_tables(tables_dir, "marts")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        duck = {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE'").fetchall()}
        assert set(marts) == duck and len(duck) >= 15
        result = {name: differences(con, f"marts.{name}", path) for name, path in marts.items()}
    assert result["fct_ticket_attendance"][0] > 2000
    assert {name: r[2] for name, r in result.items()} == {name: 0 for name in result}, result
    assert all(r[0] == r[1] for r in result.values())


def test_the_comparison_sees_a_changed_row(both_builds, tmp_path):
    """The check can fail: a Spark copy with one price changed differs by two rows."""
    warehouse, tables_dir = both_builds
    changed = tmp_path / "fct"
    changed.mkdir()
    source = tables_dir / "marts.db" / "fct_ticket_attendance"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(
            f"copy (select * replace (case when ticket_id = (select min(ticket_id) from read_parquet('{source}/*.parquet')) then price_rub + 1 else price_rub end as price_rub) "
            f"from read_parquet('{source}/*.parquet')) to '{changed}/part.parquet' (format parquet)"
        )
        assert differences(con, "marts.fct_ticket_attendance", changed)[2] == 2
