"""One visit of an episode, as memory keeps it: problems, the contact with support, service
recovery, and the episode's running peak, end, sum and worst moment.

The one rule both walks use: the day loop (sim.engine.kernels, one visit a person a day)
and the baseline of attitude (sim.mechanisms.memory.attitude_baseline, simulated episodes
walked the same way). A change here changes both, so the baseline can never disagree with
the day loop.

- A visit perceived below problems.failure_quality went wrong: the customer has a problem,
  and contacts support with probability problems.contact_share (if the journey has one),
  or suffers in silence.
- At support, a problem resolved (first-contact resolution, or a callback, decided by the
  caller) repairs `repair` of the episode's worst moment in memory (service recovery), and
  adds `bonus` (the recovery paradox, when it is on).
"""

from typing import NamedTuple

from numba import njit

from sim.rng import uniform


class ProblemRule(NamedTuple):
    """The constants of problems and their recovery (problems.* in the config)."""

    support: int  # the support touchpoint's index (-1: the journey has none)
    failure_quality: float  # a visit perceived below it went wrong
    contact_share: float  # chance a customer with a problem contacts support
    repair: float  # share of the worst moment a resolved problem takes back
    bonus: float  # felt value a resolved contact adds (the recovery paradox; else 0)


class Episode(NamedTuple):
    """An episode's memory so far: running peak (most intense moment), end, sum, number of
    visits and worst moment."""

    peak: float
    last: float
    total: float
    count: int
    worst: float


@njit(cache=True, inline="always")
def visit(q, m, weight, at_support, problem, resolves, rule, key, i, contact_draw, memory):
    """One visit's moment `m` (weight x felt value of quality q) into the episode's memory.

    at_support: this touchpoint is the journey's support; problem: the customer arrived
    with one; resolves: support resolves it today (decided by the caller: a draw, or the
    service centre's callback); rule: the ProblemRule. The contact is drawn as
    uniform(key, i, contact_draw) < contact_share, only when the visit went wrong.
    memory: the Episode so far.

    Returns (m, problem, contact, worse, memory): the moment with any recovery bonus,
    whether a problem is open after the visit, whether the customer goes to support next,
    whether this moment is the episode's new worst, and the Episode with this visit.
    """
    peak, total, worst = memory.peak, memory.total, memory.worst
    contact = False
    if at_support:
        if problem and resolves:
            if worst < 0.0:  # service recovery: take back `repair` of the worst moment
                fix = -worst * rule.repair
                total += fix
                if peak == worst:
                    peak = worst + fix
                worst = worst + fix
            m += weight * rule.bonus
            problem = False
    elif q < rule.failure_quality:
        problem = True
        contact = rule.support >= 0 and uniform(key, i, contact_draw) < rule.contact_share
    if abs(m) > abs(peak):
        peak = m
    worse = m < worst
    if worse:
        worst = m
    return m, problem, contact, worse, Episode(peak, m, total + m, memory.count + 1, worst)
