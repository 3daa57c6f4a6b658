"""The `cxsim` command: a Hydra app that writes tables, summary.json and plots."""

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.tables import __doc__ as DAILY_DOC
from tests.builders import run_command

SMALL = ["population.customers=500", "population.prospects=500", "days=40"]


def cxsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_command("cxsim", *args, cwd=cwd)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """One small run of the command, shared by the tests that read its outputs."""
    tmp = tmp_path_factory.mktemp("cli")
    out = tmp / "run"
    proc = cxsim(*SMALL, f"hydra.run.dir={out}", cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    (tmp / "stdout.txt").write_text(proc.stdout)
    return out


def test_run_prints_the_headline_figures(run_dir):
    text = (run_dir.parent / "stdout.txt").read_text()
    for words in (
        "active customers at the end",
        "retention",
        "revenue",
        "profit",
        "NPS, true",
        "NPS, survey",
        f"results: {run_dir}",
    ):
        assert words in text


def test_run_writes_every_table_in_both_formats(run_dir):
    for name in ("daily", "customers", "journey_map", "touchpoints_daily", "cohorts", "segments"):
        csv = pd.read_csv(run_dir / f"{name}.csv")
        parquet = pd.read_parquet(run_dir / f"{name}.parquet")
        assert len(csv) == len(parquet) > 0, name
    assert not list(run_dir.glob(".*.tmp")), "a temporary file was left behind"


def test_every_daily_column_is_documented(run_dir):
    daily = pd.read_csv(run_dir / "daily.csv")
    assert len(daily) == 40
    for column in daily.columns:
        assert column in DAILY_DOC, f"daily column {column} is not documented"


def test_summary_is_stamped_with_version_config_and_seed(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["version"] == "0.1.0"
    assert summary["seed"] == 42
    assert summary["config"]["population"]["customers"] == 500
    assert summary["config"]["journey"]["name"] == "retail"


def test_run_writes_the_plots(run_dir):
    for name in ("retention", "money", "nps_attitude", "journey_map", "word_of_mouth", "network"):
        png = run_dir / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_bad_override_stops_before_simulating(tmp_path):
    proc = cxsim("churn.attitude_sensitivity=-1", f"hydra.run.dir={tmp_path / 'x'}", cwd=tmp_path)
    assert proc.returncode == 2
    assert "churn.attitude_sensitivity must be in [0, 20]; got -1" in proc.stderr
    assert not (tmp_path / "x" / "daily.csv").exists()


def test_unknown_key_names_the_allowed_keys(tmp_path):
    proc = cxsim("churn.hazard=0.1", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown key churn.hazard" in proc.stderr
    assert "daily_hazard_at_neutral" in proc.stderr


def test_help_and_cfg_job_behave_as_in_any_hydra_app(tmp_path):
    help_text = cxsim("--help", cwd=tmp_path)
    assert help_text.returncode == 0
    assert "retail | subscription" in help_text.stdout  # the journey group and its options
    cfg = cxsim("--cfg", "job", "days=7", cwd=tmp_path)
    assert cfg.returncode == 0
    assert "days: 7" in cfg.stdout
    assert not (tmp_path / "outputs").exists(), "--cfg job must not run the simulation"


def test_multirun_runs_each_combination(tmp_path):
    proc = cxsim(
        "--multirun",
        *SMALL,
        "seed=1,2",
        "output.plots=false",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    seeds = sorted(
        json.loads(p.read_text())["seed"] for p in (tmp_path / "sweep").glob("*/summary.json")
    )
    assert seeds == [1, 2]


def test_result_files_are_readable_by_colleagues(tmp_path):
    """Written atomically through a private temporary file, yet mode 0666 & ~umask (0644)."""
    import os
    import stat

    from sim.files import write_atomic, write_json

    old = os.umask(0o022)
    try:
        path = write_json(tmp_path / "summary.json", {"a": 1})
        other = write_atomic(tmp_path / "t.csv", lambda tmp: tmp.write_text("x\n"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(other.stat().st_mode) == 0o644


def test_a_misspelt_touchpoint_gets_cxsims_error_not_hydras(tmp_path):
    out = run_command("cxsim", "journey.touchpoints.websit.cost=1", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("cxsim: error: unknown key journey.touchpoints.websit.cost")
    assert "allowed keys at journey.touchpoints: awareness, website" in out.stderr
    assert "+journey" not in out.stderr
