"""The standard figures show what a reader expects: the whole journey, readable axes."""

import numpy as np

from sim import Simulation
from sim.analysis.plots import journey_graph
from sim.mechanisms.journey import Journey


def test_journey_graph_draws_end_and_the_loop_of_repeat_episodes(default_cfg):
    g = journey_graph(Journey.from_config(default_cfg["journey"]))
    assert "end" in g
    assert g.nodes["end"]["layer"] == max(layer for _, layer in g.nodes(data="layer"))
    repeat = {b for a, b, r in g.edges(data="repeat") if r}
    assert repeat == set(default_cfg["journey"]["repeat_start"])
    assert all(a == "end" for a, _, r in g.edges(data="repeat") if r)


def _linear_journey(cfg: dict) -> dict:
    quality = dict(cfg["journey"]["touchpoints"]["website"]["quality"])
    steps = (("a", "b"), ("b", "c"), ("c", "end"))
    return {"name": "three", "start": {"a": 1.0}, "repeat_start": {"a": 1.0},
            "episode_interval_days": 20, "interval": "random", "churn": "anytime",
            "touchpoints": {n: {"channel": "online", "quality": quality, "spread": 0.5,
                                "weight": 1.0, "cost": 1.0, "complexity": 0.0,
                                "price": 10.0, "next": {nxt: 1.0}} for n, nxt in steps}}


def test_every_node_of_a_linear_journey_is_inside_the_frame(cfg):
    cfg["service_centre"]["enabled"] = False
    cfg["journey"] = _linear_journey(cfg)
    cfg["days"] = 30
    fig = Simulation(cfg).run().plot()["journey_map"]
    ax = fig.axes[0]
    xs = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections if len(c.get_offsets())])
    ys = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections if len(c.get_offsets())])
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < xs.min()
    assert xs.max() < x1
    assert y0 < ys.min()
    assert ys.max() < y1


def test_axes_start_where_a_reader_expects(cfg):
    figures = Simulation(cfg).run().plot()
    expectation = figures["nps_attitude"].axes[2]  # the twin axis of the bottom panel
    assert expectation.get_ylim() == (0.0, 10.0)
    stars = figures["word_of_mouth"].axes[2]
    assert stars.get_ylim() == (1.0, 5.0)
    money = figures["money"].axes[0]
    assert "per day" in money.get_ylabel()
    assert money.yaxis.get_offset_text().get_text() == ""


def test_cohorts_are_grouped_by_quarter(cfg):
    cfg["days"] = 200  # six monthly cohorts, two quarters
    ax = Simulation(cfg).run().plot()["retention"].axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0].startswith("day-0 base")
    assert len(labels) <= 1 + 3  # the base and at most three quarters in 200 days


def test_the_network_snapshot_marks_its_centre_person(cfg):
    ax = Simulation(cfg).run().plot()["network"].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("the centre: person ") for label in labels)
