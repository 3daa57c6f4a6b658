"""Hardening: every bad-input class and environmental failure gives one line, its exit code
(2 user error, 3 runtime failure, 130 Ctrl-C) and leaves no result file, whole or half."""

import ctypes
import errno
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import sim.app.cli
from sim import Simulation
from sim.analysis.summary import CLV_NOTE, projected_clv
from sim.app.exits import EXIT_INTERRUPTED, EXIT_RUNTIME, EXIT_USER
from sim.config.footprint import BYTES_PER_PERSON, estimate_bytes
from sim.config.schema import SCHEMA, SEGMENT, Num
from sim.errors import ConfigError, RunError
from sim.files import LOCK, write_json
from sim.mechanisms.service_centre import validate_service_centre
from sim.mechanisms.support_calls import AUTO_STAFFING_MAX_AGENTS, auto_staffing
from tests.builders import run_command

TINY = ["population.customers=200", "population.prospects=100", "days=5"]
RESULTS = ("summary.json", "daily.parquet", "daily.csv", "customers.parquet")


def cxsim(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    if env:
        os.environ.update(env)
        try:
            return run_command("cxsim", *args, cwd=cwd)
        finally:
            for k in env:
                os.environ.pop(k, None)
    return run_command("cxsim", *args, cwd=cwd)


def one_line_error(proc: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """The process failed with `code` and one line naming `words`, and no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def no_results(folder: Path) -> None:
    """No result file was written, and no temporary file was left half-written."""
    if folder.exists():
        names = {p.name for p in folder.rglob("*")}
        assert not names & set(RESULTS), names
        assert not [n for n in names if n.endswith(".tmp")], names


# --- NaN and inf, everywhere they can enter -------------------------------------------------


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("churn.daily_hazard_at_neutral=nan", ["churn.daily_hazard_at_neutral", "(0, 0.999]"]),
        ("seed=nan", ["seed must be an integer", "not finite"]),
        ("money.cx_investment_per_day=inf", ["money.cx_investment_per_day", "no upper bound"]),
        ("service_centre.service_level_target=nan", ["service_centre.service_level_target"]),
        ("days=null", ["days must be an integer in [1, 36500]", "None"]),
        ("journey=null", ["journey must name one of retail, subscription"]),
    ],
)
def test_cli_rejects_bad_values_in_one_line_before_any_folder(tmp_path, override, words):
    out = tmp_path / "run"
    proc = cxsim(*TINY, override, f"hydra.run.dir={out}", cwd=tmp_path)
    one_line_error(proc, EXIT_USER, "cxsim: error:", *words)
    assert not out.exists()  # rejected before Hydra made the run folder


def _custom_configs(tmp_path: Path) -> Path:
    """A config folder on Hydra's search path with bad journeys and a bad scenario."""
    root = tmp_path / "mine"
    (root / "journey").mkdir(parents=True)
    (root / "scenario").mkdir()
    retail = (Path(sim.app.cli.CONFIG_DIR) / "journey" / "retail.yaml").read_text()
    (root / "journey" / "nanjourney.yaml").write_text(
        retail.replace("episode_interval_days:", "episode_interval_days: .nan #", 1)
    )
    (root / "journey" / "broken.yaml").write_text("name: broken\nstart: {a: 1\n  x: [\n")
    (root / "journey" / "latin.yaml").write_bytes(b"# caf\xe9\nname: latin\n")
    (root / "scenario" / "nanscenario.yaml").write_text(
        "# @package _global_\nscenario:\n  name: nanscenario\n  description: bad\n"
        "  journey: any\n  one_off_cost: 0\nexperience:\n  alpha: .inf\n"
    )
    return root


@pytest.mark.parametrize(
    ("choice", "words"),
    [
        ("journey=nanjourney", ["journey.episode_interval_days", "not finite"]),
        ("journey=broken", ["broken.yaml, line 3, column 4", "malformed YAML"]),
        ("journey=latin", ["latin.yaml, line 1", "not valid UTF-8"]),
        ("scenario=nanscenario", ["experience.alpha must be in [0.01, 1]", "inf"]),
    ],
)
def test_custom_files_with_bad_content_are_one_line_errors(tmp_path, choice, words):
    root = _custom_configs(tmp_path)
    out = tmp_path / "run"
    proc = cxsim(*TINY, f"hydra.searchpath=[file://{root}]", choice, f"hydra.run.dir={out}",
                 cwd=tmp_path)
    one_line_error(proc, EXIT_USER, *words)
    assert not out.exists()


def test_a_sweep_with_nan_is_rejected_before_any_job(tmp_path):
    out = tmp_path / "sweep"
    proc = cxsim("--multirun", *TINY, "experience.alpha=0.3,nan", f"hydra.sweep.dir={out}",
                 cwd=tmp_path)
    one_line_error(proc, EXIT_USER, "experience.alpha must be in [0.01, 1]", "nan")
    assert not out.exists()


def test_compare_rejects_nan_and_zero_workers(tmp_path):
    nan = run_command("cxsim-compare", "scenario=[more_advertising]", "-r", "2",
                      "acquisition.ad_rate_per_day=nan", "-o", str(tmp_path / "c"), cwd=tmp_path)
    one_line_error(nan, EXIT_USER, "cxsim-compare: error:", "acquisition.ad_rate_per_day")
    zero = run_command("cxsim-compare", "scenario=[more_advertising]", "-j", "0",
                       "-o", str(tmp_path / "c"), cwd=tmp_path)
    assert zero.returncode == EXIT_USER
    assert "-j/--jobs: must be -1 (all cores) or at least 1; got 0" in zero.stderr
    assert "Traceback" not in zero.stderr
    assert not (tmp_path / "c").exists()


def test_every_numeric_key_rejects_nan_and_inf_in_the_api(cfg):
    """The one validation path: every Num rule of the schema, through Simulation."""

    def leaves(schema, prefix=()):
        for k, rule in schema.items():
            if isinstance(rule, dict):
                yield from leaves(rule, (*prefix, k))
            elif isinstance(rule, Num):
                yield (*prefix, k), rule

    checked = 0
    segment = next(iter(cfg["segments"]))
    for path, _ in [*leaves(SCHEMA), *leaves(SEGMENT, ("segments", segment))]:
        for bad in (math.nan, math.inf, -math.inf):
            c = json.loads(json.dumps(cfg))
            node = c
            for k in path[:-1]:
                node = node[k]
            node[path[-1]] = bad
            with pytest.raises(ConfigError, match=rf"^{'.'.join(path)} must be .*not finite"):
                Simulation(c)
            checked += 1
    assert checked >= 3 * 60  # 53 settings + 12 of a segment


def test_nan_in_journeys_and_service_centre_is_rejected_in_the_api(cfg):
    c = json.loads(json.dumps(cfg))
    tp = next(iter(c["journey"]["touchpoints"]))
    c["journey"]["touchpoints"][tp]["quality"]["empathy"] = math.nan
    with pytest.raises(ConfigError, match=rf"journey.touchpoints.{tp}.quality.empathy"):
        Simulation(c)
    c = json.loads(json.dumps(cfg))
    c["service_centre"]["agent_cost_per_hour"] = math.inf
    with pytest.raises(ConfigError, match=r"service_centre.agent_cost_per_hour"):
        Simulation(c)


# --- bounded loops, infinite quantities -----------------------------------------------------


def test_auto_staffing_stops_at_its_bound_with_a_clear_error():
    centre = validate_service_centre({})
    with pytest.raises(ConfigError, match=rf"up to {AUTO_STAFFING_MAX_AGENTS:,} agents"):
        auto_staffing(1e11, centre, 0.8)
    plan = auto_staffing(5000.0, centre, 0.8)  # a realistic load is met well below the bound
    assert 0 < max(plan.values()) < 1000


def test_clv_at_zero_discount_and_no_churn_is_null_with_a_reason(cfg, tmp_path):
    assert math.isnan(projected_clv(10.0, 0.0, 0.0))
    assert projected_clv(np.array([10.0, 10.0]), np.array([0.0, 0.01]), 0.0)[1] == pytest.approx(
        10.0 / 0.01
    )
    cfg["days"] = 5
    cfg["money"]["annual_discount_rate"] = 0.0
    cfg["churn"]["daily_hazard_at_neutral"] = 1e-12  # P(any churn) ~ 3000 * 5 * 1e-12 ~ 0
    cfg["churn"]["attitude_sensitivity"] = 0.0
    result = Simulation(cfg).run()
    result.save(tmp_path)
    text = (tmp_path / "summary.json").read_text()

    def strict(name):
        raise ValueError(f"non-standard JSON constant {name}")

    summary = json.loads(text, parse_constant=strict)  # no NaN or Infinity anywhere
    assert set(summary["clv_by_segment"].values()) == {None}
    assert set(summary["clv_notes"].values()) == {CLV_NOTE}


def test_write_json_never_writes_nan_or_infinity(tmp_path):
    write_json(tmp_path / "x.json", {"a": math.inf, "b": [np.float64("nan"), 1.5], "c": 2})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": None, "b": [None, 1.5], "c": 2}


# --- memory ---------------------------------------------------------------------------------


def test_memory_estimate_grows_with_the_market_and_refuses_what_cannot_fit(cfg, monkeypatch):
    small = estimate_bytes(cfg)
    cfg["population"]["customers"] *= 10
    assert estimate_bytes(cfg) - small >= 9 * 2000 * BYTES_PER_PERSON
    monkeypatch.setenv("CXSIM_MEMORY_LIMIT", "1M")
    # 20,000 customers, 1,000 prospects and 0.3 lapsed ex-customers per customer
    with pytest.raises(RunError, match=r"not enough memory: 27,000 people need about .* but "
                                       r"1 MB is available \(CXSIM_MEMORY_LIMIT\)"):
        Simulation(cfg)


def test_cli_refuses_a_run_that_does_not_fit_before_any_folder(tmp_path):
    out = tmp_path / "run"
    proc = cxsim("population.customers=2000000", f"hydra.run.dir={out}", cwd=tmp_path,
                 env={"CXSIM_MEMORY_LIMIT": "100M"})
    # 2,000,000 customers, 7,000 prospects and 600,000 lapsed ex-customers
    one_line_error(proc, EXIT_RUNTIME, "not enough memory", "2,607,000 people", "100 MB")
    assert not out.exists()
    sweep = cxsim("--multirun", "population.customers=1000,2000000", f"hydra.sweep.dir={out}",
                  cwd=tmp_path, env={"CXSIM_MEMORY_LIMIT": "300M"})  # the first job fits
    one_line_error(sweep, EXIT_RUNTIME, "not enough memory", "2,607,000 people")
    assert not out.exists()  # before any job


# --- edge lists -----------------------------------------------------------------------------


def test_edge_list_of_self_loops_only_is_rejected(tmp_path):
    edges = tmp_path / "loops.txt"
    edges.write_text("0 0\n5 5\n")
    out = tmp_path / "run"
    proc = cxsim(*TINY, "network.kind=edge_list", f"network.path={edges}",
                 f"hydra.run.dir={out}", cwd=tmp_path)
    one_line_error(proc, EXIT_USER, "network.path", "no usable edge", "2 edge lines, 2 of them")
    assert not out.exists()


def test_edge_list_duplicates_and_self_loops_are_dropped_with_a_warning(cfg, tmp_path, caplog):
    edges = tmp_path / "edges.txt"
    edges.write_text("# a comment\n0 1\n1 2\n2 2\n1 0\n3 4\n")
    cfg["network"].update(kind="edge_list", path=str(edges))
    with caplog.at_level("WARNING", logger="cxsim"):
        model = Simulation(cfg).model
    assert model.network.n_edges == 3
    assert "dropped 1 self-loop(s) (first on line 4) and 1 duplicate edge(s) (first on line 5)" \
        in caplog.text


# --- one run, one folder --------------------------------------------------------------------


def test_a_second_run_into_a_folder_in_use_stops_naming_the_folder_and_process(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK).write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename}))
    proc = cxsim(*TINY, f"hydra.run.dir={out}", cwd=tmp_path)
    one_line_error(proc, EXIT_RUNTIME, f"the run folder {out} is in use", f"process {os.getpid()}")
    no_results(out)
    assert not (out / ".hydra").exists()  # stopped before Hydra wrote into the other's folder


def test_a_rerun_clears_the_previous_outputs_stale_tmp_and_a_dead_lock(tmp_path):
    out = tmp_path / "run"
    first = cxsim(*TINY, "service_centre.hourly=true", "output.plots=true",
                  f"hydra.run.dir={out}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (out / "service_hourly.parquet").exists()
    assert list((out / "plots").glob("*.png"))
    (out / ".daily.csv.abc123.tmp").write_text("half")  # a killed run's temporary file
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    (out / LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": os.uname().nodename}))
    second = cxsim(*TINY, "output.formats=[csv]", "output.plots=false",
                   f"hydra.run.dir={out}", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    names = {p.name for p in out.rglob("*") if p.is_file()}
    assert "daily.csv" in names
    assert "summary.json" in names
    assert not [n for n in names if n.endswith((".parquet", ".png", ".tmp"))], names
    assert "service_hourly.csv" not in names  # the first run's, not this one's
    assert LOCK not in names  # released at a clean exit


def _run_main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["cxsim", *args])
    with pytest.raises(SystemExit) as stop:
        sim.app.cli.main()
    return stop.value.code


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "the folder is read-only"),
    ],
)
def test_a_full_or_read_only_folder_is_one_line_and_nothing_half_written(
    tmp_path, monkeypatch, capsys, err, words
):
    out = tmp_path / "run"
    real = sim.analysis.results.write_atomic
    calls = []

    def failing(path, write):
        calls.append(path)
        if len(calls) == 3:  # the third file: two are whole already
            raise OSError(err, os.strerror(err), str(path))
        return real(path, write)

    monkeypatch.setattr(sim.analysis.results, "write_atomic", failing)
    code = _run_main(monkeypatch, *TINY, "output.plots=false", f"hydra.run.dir={out}")
    line = capsys.readouterr().err.strip()
    assert code == EXIT_RUNTIME
    assert "\n" not in line
    assert f"could not write {calls[2]}" in line
    assert words in line
    assert "every file written before is complete" in line
    assert (out / "daily.parquet").exists()  # the files written before are kept whole
    assert not (out / "summary.json").exists()
    no_results_tmp = list(out.rglob("*.tmp"))
    assert not no_results_tmp
    assert not (out / LOCK).exists()


def test_debug_shows_the_traceback(tmp_path):
    proc = cxsim(*TINY, "seed=nan", "--debug", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert "ConfigError: seed must be an integer" in proc.stderr


# --- Ctrl-C ---------------------------------------------------------------------------------


def _interrupt_when(proc: subprocess.Popen, ready, timeout: float = 120) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while not ready() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=120)


def _popen(*args: str, cwd: Path) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "cxsim"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen([str(exe), *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_ctrl_c_during_a_run_says_what_happened_and_how_to_go_on(tmp_path):
    out = tmp_path / "run"
    proc = _popen("population.customers=50000", "days=5000", "output.plots=false",
                  f"hydra.run.dir={out}", cwd=tmp_path)
    _, err = _interrupt_when(proc, lambda: (out / ".hydra" / "overrides.yaml").exists())
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err
    line = [x for x in err.splitlines() if x.strip()][-1]
    assert line.startswith("cxsim: interrupted: Ctrl-C")
    assert "run the same command again" in line
    no_results(out)
    assert not (out / LOCK).exists()


def test_a_ctrl_c_a_library_swallows_still_stops_the_run_at_the_next_day(capsys):
    # numba's compiler calls back into Python through ctypes, which prints and ignores an
    # exception raised there: the KeyboardInterrupt of a Ctrl-C landing then is lost
    from sim.app.exits import reported

    def day_one_then_ctrl_c_in_a_callback_then_the_rest(sim_: Simulation) -> None:
        with reported("cxsim", debug=False):
            sim_.model.step()
            on_sigint = signal.getsignal(signal.SIGINT)
            ctypes.CFUNCTYPE(None)(lambda: on_sigint(signal.SIGINT, None))()  # swallowed
            sim_.run()

    sim_ = Simulation(overrides=[*TINY, "days=30"])
    with pytest.raises(SystemExit) as stop:
        day_one_then_ctrl_c_in_a_callback_then_the_rest(sim_)
    assert stop.value.code == EXIT_INTERRUPTED
    assert sim_.model.day == 1  # not one more day after the Ctrl-C
    assert capsys.readouterr().err.strip() == "cxsim: interrupted: Ctrl-C"
    with pytest.raises(RunError, match="part-way through day 1"):
        sim_.run()  # Mesa no longer schedules a model whose step raised: no endless loop
    fresh = Simulation(overrides=[*TINY, "days=30"])
    fresh.run()  # a later run in the same process is not stopped by the old Ctrl-C
    assert fresh.model.day == 30


def test_ctrl_c_during_a_sweep_keeps_finished_jobs_and_says_how_to_resume(tmp_path):
    out = tmp_path / "sweep"
    proc = _popen("--multirun", "population.customers=3000", "days=400", "output.plots=false",
                  "seed=1,2,3,4,5,6", f"hydra.sweep.dir={out}", cwd=tmp_path)
    _, err = _interrupt_when(proc, lambda: (out / "0" / "summary.json").exists())
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err
    line = [x for x in err.splitlines() if x.strip()][-1]
    assert f"run the same command again with hydra.sweep.dir={out}" in line
    assert (out / "sweep.csv").exists()
    assert not list(out.rglob("*.tmp"))
