"""The customer-experience model: a Mesa model whose step is one day.

The day loop, in the order the code runs (MODEL.md section 2):

1. Acquisition, win-back and the market's turnover: prospects adopt through advertising
   and referrals (praise heard yesterday); lapsed customers may return, or leave the
   market, a newcomer prospect taking their place. A new customer's first episode begins
   today at journey.start.
2. Journey: active customers due for an episode begin one at journey.repeat_start.
   Everybody in an episode is at today's touchpoint.
3. Experience and problems: each visit is perceived (segment pillar weights, complexity, noise) and
   felt as performance (against the scale's midpoint) plus disconfirmation of the
   customer's expectation for that touchpoint (zone of tolerance, prospect theory beyond
   it); the expectation adapts, anchored. A visit perceived below problems.failure_quality
   went wrong: the customer contacts support (journey.support) or suffers in silence; at
   support, a resolved problem repairs part of the failure in memory (service recovery).
   Cost to serve and revenue of the visit are booked.
4. Memory: the episode's peak and end are updated; the next touchpoint is drawn, and
   an episode that reaches `end` is remembered (peak-end) into attitude; finished
   episodes may be followed by a survey.
5. Churn: a daily hazard from attitude, switching cost and loyalty (or, for
   subscriptions, the hazard accumulated since the last renewal, applied there).
6. Record: attitude fades towards the customer's baseline (before the day's experience);
   daily figures are written by index.
7. Word of mouth: customers whose episode ended delighted or pained tell their contacts,
   in order of person id; hearers' attitudes (and prospects' expectations) shift tonight.

Steps 1-2 run in sim.engine.kernels.begin_day, then the service centre
(sim.mechanisms.support_calls) simulates the support calls, then steps 3-7 run in
sim.engine.kernels.live_day.
"""

from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np

from sim.config.footprint import AGENT_HANDLES_AUTO_MAX
from sim.engine.agents import Customer
from sim.engine.kernels import Keys, begin_day, live_day
from sim.engine.setup import build, kernel_network
from sim.errors import stop_if_interrupted
from sim.mechanisms.word_of_mouth import review_factor
from sim.rng import day_key


class CXModel(mesa.Model):
    """Customers living through journeys, remembering, churning and paying, one day a step."""

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        """Set up the day-0 market of `cfg` (sim.engine.setup.build: validated first)."""
        world = build(cfg)
        super().__init__(rng=world.cfg["seed"])
        self.cfg, self.journey, self.walked, self.support = (
            world.cfg, world.journey, world.walked, world.support)
        self.arrays, self.params, self.network, self.state, self.daily = (
            world.arrays, world.params, world.network, world.state, world.daily)
        self._stream_keys, self._service_stream = world.stream_keys, world.service_stream
        self._attraction, self._feature_expectation = world.attraction, world.feature_expectation
        self.parallel = world.parallel
        self.days = self.cfg["days"]
        self.segment_names = tuple(self.cfg["segments"])
        self.day = 0
        self._scratch_space()
        handles = self.cfg["population"]["agent_handles"]
        self._handles: list[Customer] = []
        if handles == "all" or (handles == "auto" and self.n_people <= AGENT_HANDLES_AUTO_MAX):
            self._handles = list(
                Customer.create_agents(self, self.n_people, index=np.arange(self.n_people))
            )

    def _scratch_space(self) -> None:
        """Working arrays the day loop reuses: support callers' quality shift, word of
        mouth's contacts, who talks today, and the network as the kernels read it."""
        self._shift = np.zeros(self.n_people)  # today's quality shift of support callers
        self._callers = np.zeros(0, dtype=np.int64)
        wom = self.cfg["word_of_mouth"]
        most = max(wom["positive_contacts"], wom["negative_contacts"], 1)
        self._scratch = np.zeros((2, most), dtype=np.int64)  # word of mouth's working space
        self._net = kernel_network(self.network)
        self._talkers = np.zeros(self.n_people, dtype=np.int64)  # who talks today (live_day)

    def _service_key(self, day: int) -> np.uint64:
        return np.uint64(day_key(self._service_stream, day))

    @property
    def review_average(self) -> float:
        """Star average of all public reviews so far: what prospects read before buying."""
        rev, d, t = self.cfg["reviews"], self.daily, self.day
        stars = rev["initial_average"] * rev["initial_count"] + d.review_stars[:t].sum()
        count = rev["initial_count"] + d.reviews[:t].sum()
        return float(stars / count) if count else rev["neutral_stars"]

    @property
    def n_people(self) -> int:
        return int(self.state.status.shape[0])

    def customer(self, index: int) -> Customer:
        """A handle on one person, whether or not handles were created up front."""
        if not 0 <= index < self.n_people:
            raise IndexError(f"customer index must be in [0, {self.n_people - 1}]; got {index}")
        if self._handles:
            return self._handles[index]
        return Customer(self, index)

    def step(self) -> None:
        """One day, in the order documented at the top of this module."""
        stop_if_interrupted()  # a Ctrl-C that a library swallowed still stops the run
        if self.day >= self.days:
            raise RuntimeError(f"the run has {self.days} days and all have been simulated")
        day = self.day
        keys = Keys(*(np.uint64(day_key(k, day)) for k in self._stream_keys))
        rev = self.cfg["reviews"]
        stars = self.review_average
        # what prospects read (reviews) and see (the product's capability) before buying
        review_sales = self._attraction * review_factor(stars, rev["neutral_stars"],
                                                        rev["sales_sensitivity"])
        review_expectation = (rev["expectation_per_star"] * (stars - rev["neutral_stars"])
                              + self._feature_expectation)
        s, p, j, d = self.state, self.params, self.arrays, self.daily
        begin_day(day, s, p, j, keys, d, review_sales, review_expectation, self.parallel)
        if self.support is not None:
            self._shift[self._callers] = 0.0
            self._callers = self.support.serve(day, self._service_key(day), s, self._shift)
        live_day(day, s, p, j, keys, d, self._shift, self._net, self._scratch, self._talkers,
                 self.parallel)
        self.day += 1
        self.running = self.day < self.days
