"""sqlfluff (dbt templater, the project's .sqlfluff) passes on every model and singular
test; and the same rules reject SQL written in another style."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SQLFLUFF = Path(sys.executable).parent / "sqlfluff"


def lint(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SQLFLUFF), "lint", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_the_project_passes_its_own_lint(tmp_path):
    import os

    # The dbt templater compiles the project, so it connects: to a scratch warehouse, with
    # a target folder of its own.
    env = {**os.environ, "AFISHA_WAREHOUSE": str(tmp_path / "afisha.duckdb"), "DBT_TARGET_PATH": str(tmp_path / "target")}
    result = lint("models", "dbt_tests/singular", "--processes", "2", env=env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "FAIL" not in result.stdout


def test_the_rules_reject_another_style(tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT\n    participant_id\n    , COUNT(*) AS tickets\nFROM tickets t\nGROUP BY participant_id\n")
    result = lint(str(bad), "--config", str(ROOT / ".sqlfluff"), "--templater", "jinja")
    assert result.returncode == 1
    found = {code for code in ("CP01", "CP03", "LT04", "AL01") if code in result.stdout}
    assert found == {"CP01", "CP03", "LT04", "AL01"}, result.stdout
