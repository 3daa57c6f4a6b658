"""A wheel built from the checkout works on its own: installed (not editable) into a fresh
virtual environment, `cxsim`, `cxsim-compare` and the Python API run from a folder outside
the checkout, with the configs the wheel carries.

The fresh environment borrows this one's third-party packages through a .pth line (a plain
path: the editable install's finder in that folder is not run), so the test needs no
download; `sim` itself can only come from the wheel.
"""

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> Path:
    """A virtual environment holding the wheel of this checkout and nothing else of ours."""
    tmp = tmp_path_factory.mktemp("wheel")
    # build from a copy: setuptools leaves build/ beside the sources it builds
    source = tmp / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "outputs", "multirun"))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", tmp / "dist", source, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("cxsim-*.whl")
    env = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", env, cwd=tmp)
    purelib = Path(_run(env / "bin" / "python", "-c",
                        "import sysconfig; print(sysconfig.get_path('purelib'))",
                        cwd=tmp).stdout.strip())
    borrowed = [sysconfig.get_path("purelib"), *site.getsitepackages()]
    (purelib / "borrowed.pth").write_text("\n".join(dict.fromkeys(borrowed)) + "\n")
    _run(sys.executable, "-m", "pip", "--python", env / "bin" / "python", "install", "-q",
         "--no-deps", wheel, cwd=tmp)
    return env


def test_the_wheel_carries_the_configs_and_runs_from_any_folder(wheel_env, tmp_path):
    py = wheel_env / "bin" / "python"
    where = _run(py, "-c", "import sim, sim.config as c; print(sim.__file__); "
                 "print(c.CONFIG_DIR)", cwd=tmp_path).stdout.split()
    assert not Path(where[0]).is_relative_to(ROOT), where  # the wheel's sim, not the checkout's
    assert (Path(where[1]) / "config.yaml").is_file()
    assert (Path(where[1]) / "journey" / "retail.yaml").is_file()
    small = ["population.customers=400", "population.prospects=200", "days=30"]
    _run(wheel_env / "bin" / "cxsim", *small, "hydra.run.dir=run", cwd=tmp_path)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["journey"] == "retail"
    assert summary["people"] > 400
    _run(wheel_env / "bin" / "cxsim-compare", "-r", "2", "-o", "cmp", "--no-plots",
         "scenario=[more_advertising]", *small, cwd=tmp_path)
    assert "more_advertising" in (tmp_path / "cmp" / "differences.csv").read_text()
    api = _run(py, "-c", "from sim import Simulation, load_config; "
               f"r = Simulation(load_config({small!r} + ['journey=subscription'])).run(); "
               "print(r.summary['journey'])", cwd=tmp_path)
    assert api.stdout.strip() == "subscription"
