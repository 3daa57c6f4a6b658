"""Fast batches: many small runs in one process, one composed config, parameters varied per run.

A sweep composes a Hydra config, opens a job folder and writes tables for every run; for
calibration and global sensitivity analysis, which need hundreds or thousands of runs of
a few KPIs each, that start-up dominates. A batch composes the base config once, then for
each point sets a few keys (`{"experience.loss_aversion": 1.5}`), checks the config and
runs the model in the worker process, whose numba kernels are compiled (or loaded from the
cache) once. A run of a batch gives the same numbers as `Simulation(cfg).run()` for the
same config, seed and replication (tests/test_batch.py).

    from sim.studies.batch import Batch
    batch = Batch(["days=180"])
    table = batch.run([{"experience.loss_aversion": 1.0}, {"experience.loss_aversion": 2.25}],
                      replications=4, jobs=2)
    table  # one row per run: point, replication, the varied keys, KPIs (sim.analysis.kpis)

Parallel batches use joblib's worker processes (which live on between calls), each with
one numba thread, and hand each worker runs in chunks.

On a Hydra launcher (`batch.run(points, launcher="joblib", folder="runs/b")`), the same
chunks become the jobs of one Hydra multirun, resumable chunk by chunk, with the same table
to the bit: sim/studies/launchers.py.
"""

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import run_kpis
from sim.config import load_config, to_plain
from sim.config.schema import MapOf, Num, Opaque, UnknownKey, find_rule
from sim.errors import ConfigError
from sim.studies.launchers import check_launcher, run_on_launcher, worker_count

Measure = Callable[[Any], Mapping[str, float]]  # a Result -> named figures


def declared_rule(key: str) -> Any:
    """The declaration of a dotted config key in sim.config.schema.SCHEMA (a Num, Choice, ...).

    Raises ConfigError naming the allowed keys at the level where the key goes wrong.
    Keys inside the journey and the service centre (checked by their own modules) and
    segment keys (`segments.mainstream.expectation`) are found too.
    """
    from sim.mechanisms.journey import JOURNEY_KEYS, TOUCHPOINT_REQUIRED

    def journey_keys(path: list[str], rule: Any) -> Any:  # declared in sim/mechanisms/journey.py
        if path != ["journey"]:
            return rule
        keys = {k: v if v is not None else Opaque() for k, v in JOURNEY_KEYS.items()}
        keys["touchpoints"] = MapOf({k: v if v is not None else Opaque()
                                     for k, v in TOUCHPOINT_REQUIRED.items()})
        return keys

    try:
        rule = find_rule(key, expand=journey_keys)
    except UnknownKey as err:
        raise ConfigError(f"unknown parameter {key}; allowed keys at {err.where}: "
                          f"{err.allowed}") from None
    if isinstance(rule, Mapping | MapOf):
        raise ConfigError(f"{key} is a section, not a parameter; name one of its keys")
    return rule


def declared_bounds(key: str) -> tuple[float | None, float | None]:
    """(low, high) allowed for a numeric key by sim.config.schema; None where unbounded."""
    rule = declared_rule(key)
    if not isinstance(rule, Num):
        raise ConfigError(f"{key} is not a number parameter; only numbers can be varied here")
    return rule.low, rule.high


def set_key(cfg: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key in a plain config, which must already have it."""
    node = cfg
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(parts[: i + 1])
            raise ConfigError(f"unknown parameter {key}: the config has no {where}")
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        raise ConfigError(f"unknown parameter {key}: the config has no such key")
    node[parts[-1]] = value


def get_key(cfg: Mapping[str, Any], key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = node[part]
    return node


def _plain_number(key: str, value: Any) -> Any:
    """numpy scalars as Python numbers; integer keys rounded (a sampler gives floats)."""
    if isinstance(value, np.generic):
        value = value.item()
    rule = declared_rule(key)
    if isinstance(rule, Num) and rule.integer and isinstance(value, float):
        value = round(value)
    return value


def run_config(cfg: dict[str, Any], measure: Measure | None = None) -> dict[str, float]:
    """One run of a checked or unchecked config: its KPIs, and `measure`'s figures if given.

    Mesa agent handles are not created (they are views on the arrays and change no number).
    """
    from sim.analysis.results import Result
    from sim.engine.model import CXModel

    cfg = copy.deepcopy(cfg)
    cfg["population"]["agent_handles"] = "none"
    model = CXModel(cfg)
    while model.day < model.days:
        model.step()
    result = Result.from_model(model)
    out = run_kpis(result.summary, result.segments)
    if measure is not None:
        out.update(measure(result))
    return out


def _run_chunk(
    configs: list[dict[str, Any]], measure: Measure | None, one_thread: bool
) -> list[dict[str, float]]:
    if one_thread:
        import numba

        numba.set_num_threads(1)
    return [run_config(c, measure) for c in configs]


class Batch:
    """A base config, composed once, and runs of it with a few keys changed per point.

    overrides: Hydra overrides of the base (`["journey=subscription", "days=730"]`), or
    cfg: a plain config to start from (sim.load_config's output, possibly edited).
    """

    def __init__(self, overrides: Sequence[str] = (), cfg: Mapping[str, Any] | None = None):
        if cfg is not None and overrides:
            raise ValueError("pass either cfg or overrides, not both")
        self.base = copy.deepcopy(to_plain(cfg)) if cfg is not None else load_config(overrides)

    def config(self, point: Mapping[str, Any] | None = None, replication: int = 0) -> dict:
        """The config of one run: the base with the point's keys set, replication added.

        The replication number is added to the base's, as in comparisons and sweeps.
        """
        cfg = copy.deepcopy(self.base)
        for key, value in (point or {}).items():
            set_key(cfg, key, _plain_number(key, value))
        cfg["replication"] = int(self.base["replication"]) + int(replication)
        return cfg

    def check(self, points: Iterable[Mapping[str, Any]]) -> None:
        """Every point's config is checked (keys, ranges, journey map) before any run."""
        from sim.studies.scenarios import check_config

        for point in points:
            check_config(self.config(point))

    def run(
        self,
        points: Sequence[Mapping[str, Any]] | pd.DataFrame,
        replications: int | Sequence[int] = 1,
        jobs: int = 1,
        measure: Measure | None = None,
        progress: bool | None = False,
        check: bool = True,
        launcher: str | None = None,
        launcher_overrides: Sequence[str] = (),
        folder: str | Path | None = None,
        chunk_size: int | None = None,
    ) -> pd.DataFrame:
        """Run every point for every replication; one row per run, in point then replication order.

        points: mappings of dotted key -> value, or a DataFrame whose columns are keys.
        replications: a count R (replications 0..R-1) or the replication numbers to run;
        every point runs the same replications (common random numbers across points).
        jobs: worker processes (joblib; -1 for every core). measure: a picklable function of
        a sim.analysis.results.Result returning more figures to put in the table.

        launcher: None runs the batch here, on joblib's workers; a Hydra launcher name
        (LAUNCHERS: basic, joblib, ray, submitit_local, submitit_slurm) runs it as one
        Hydra multirun of chunks of `chunk_size` runs, with launcher_overrides such as
        `hydra.launcher.n_jobs=4` or `hydra.launcher.partition=NAME`, in `folder` (a
        temporary one if None): the same table, and a rerun with the same folder runs
        only the chunks not yet done (see run_on_launcher).
        """
        if launcher is not None:
            check_launcher(launcher, launcher_overrides)
        if isinstance(points, pd.DataFrame):
            points = points.to_dict("records")
        points = [dict(p) for p in points]
        reps = list(range(replications)) if isinstance(replications, int) else list(replications)
        if not points or not reps:
            raise ConfigError("a batch needs at least one point and one replication")
        if check:
            self.check(points)
        tasks = [(i, r) for i in range(len(points)) for r in reps]
        configs = [self.config(points[i], r) for i, r in tasks]
        if launcher is not None:
            outputs = run_on_launcher(configs, measure, launcher, launcher_overrides, folder,
                                      chunk_size, jobs, progress)
            return pd.DataFrame([{"point": i, "replication": r, **points[i], **out}
                                 for (i, r), out in zip(tasks, outputs, strict=True)])
        from joblib import Parallel, delayed
        from tqdm import tqdm

        n_workers = worker_count(jobs)
        size = max(1, min(8, len(configs) // (4 * n_workers)))
        chunks = [configs[k : k + size] for k in range(0, len(configs), size)]
        results = Parallel(n_jobs=jobs, return_as="generator")(
            delayed(_run_chunk)(chunk, measure, jobs != 1) for chunk in chunks
        )
        rows: list[dict[str, Any]] = []
        disable = None if progress is None else not progress
        with tqdm(total=len(tasks), unit="run", desc="cxsim-batch", disable=disable) as bar:
            for result in results:
                for out in result:
                    i, r = tasks[len(rows)]
                    rows.append({"point": i, "replication": r, **points[i], **out})
                bar.update(len(result))
        return pd.DataFrame(rows)
