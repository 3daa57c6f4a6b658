"""The batch API: many runs in one process give the numbers single runs give."""

import copy

import pytest

from sim.batch import Batch, declared_bounds
from sim.errors import ConfigError
from sim.kpis import KPIS, run_kpis
from sim.simulation import Simulation


@pytest.fixture
def small(cfg) -> dict:
    c = copy.deepcopy(cfg)
    c["population"]["customers"] = 800
    c["population"]["prospects"] = 400
    c["days"] = 60
    return c


def test_batch_runs_equal_single_runs(small):
    """Same config, seed and replication: the same KPIs, to the last bit, in parallel too."""
    batch = Batch(cfg=small)
    points = [{"experience.loss_aversion": 1.0}, {"churn.attitude_sensitivity": 2.0}]
    table = batch.run(points, replications=[0, 3], jobs=2)
    assert len(table) == 4
    for row in table.itertuples():
        cfg = copy.deepcopy(small)
        key, value = next(iter(points[row.point].items()))
        section, name = key.split(".")
        cfg[section][name] = value
        cfg["replication"] = small["replication"] + row.replication
        result = Simulation(cfg).run()
        single = run_kpis(result.summary, result.segments)
        for k in KPIS:
            assert getattr(row, k) == single[k], (k, row.point, row.replication)


def test_batch_points_differ_and_replications_are_common(small):
    """Points share replications (common random numbers): the same point twice is the same run."""
    table = Batch(cfg=small).run(
        [{"experience.loss_aversion": 2.0}, {"experience.loss_aversion": 2.0},
         {"experience.loss_aversion": 0.5}],
        replications=2,
    )
    a, b, c = (table[table.point == i].retention.to_numpy() for i in range(3))
    assert (a == b).all()
    assert (a != c).any()


def test_batch_rejects_bad_points_before_running(small):
    batch = Batch(cfg=small)
    with pytest.raises(ConfigError, match=r"unknown parameter experience\.loss_avers"):
        batch.run([{"experience.loss_avers": 1.0}])
    with pytest.raises(ConfigError, match=r"experience\.loss_aversion must be in \[0, 10\]"):
        batch.run([{"experience.loss_aversion": 1.0}, {"experience.loss_aversion": -1.0}])


def test_declared_bounds_come_from_params():
    assert declared_bounds("experience.loss_aversion") == (0.0, 10.0)
    with pytest.raises(ConfigError, match="not a number parameter"):
        declared_bounds("memory.rule")
