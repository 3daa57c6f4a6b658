"""The daily record of a run: arrays preallocated for every day, written by index by the
kernels (sim.engine.kernels) and read into tables by sim.analysis.tables."""

from typing import NamedTuple

import numpy as np

COUNTS = (
    "new",
    "first_acquired",
    "won_back",
    "churned",
    "active",
    "prospects",
    "lapsed",
    "episodes",
    "episodes_delighted",
    "episodes_pained",
    "satisfied_episodes",
    "promoters",
    "detractors",
    "survey_invited",
    "survey_responses",
    "survey_promoters",
    "survey_detractors",
    "survey_satisfied",
    "wom_positive",
    "wom_negative",
    "wom_reached",
    "referrals",
    "reviews",
    "exits",
    "exit_customers",
    "exit_promoters",
    "exit_detractors",
    "purchases",
    "buyers_13w",
)
SUMS = (
    "revenue",
    "cost_service",
    "cost_acquisition",
    "attitude_sum",
    "expectation_sum",
    "review_stars",
    "exit_revenue",
    "exit_cost",
)


class Daily(NamedTuple):
    """Daily records, written by index in the kernels."""

    new: np.ndarray
    first_acquired: np.ndarray  # new customers never acquired before (they open a cohort)
    won_back: np.ndarray
    churned: np.ndarray
    active: np.ndarray
    prospects: np.ndarray
    lapsed: np.ndarray
    episodes: np.ndarray
    episodes_delighted: np.ndarray
    episodes_pained: np.ndarray
    satisfied_episodes: np.ndarray
    promoters: np.ndarray
    detractors: np.ndarray
    survey_invited: np.ndarray
    survey_responses: np.ndarray
    survey_promoters: np.ndarray
    survey_detractors: np.ndarray
    survey_satisfied: np.ndarray
    wom_positive: np.ndarray  # messages sent
    wom_negative: np.ndarray
    wom_reached: np.ndarray  # people who heard at least one message this morning
    referrals: np.ndarray  # prospects won by word of mouth (not advertising)
    reviews: np.ndarray
    exits: np.ndarray  # lapsed customers who left the market (a newcomer prospect took their place)
    exit_customers: np.ndarray  # ...of whom customers during the run (the rest lapsed before it)
    exit_promoters: np.ndarray  # ...of whom promoters and detractors when they left
    exit_detractors: np.ndarray
    purchases: np.ndarray  # purchase episodes begun today (first, repeat, won back)
    buyers_13w: np.ndarray  # people whose latest purchase began in the last 91 days
    revenue: np.ndarray
    cost_service: np.ndarray
    cost_acquisition: np.ndarray
    attitude_sum: np.ndarray
    expectation_sum: np.ndarray
    review_stars: np.ndarray  # stars of the reviews posted today
    exit_revenue: np.ndarray  # what the people who left the market today had paid in the run
    exit_cost: np.ndarray  # ...and cost
    tp_visits: np.ndarray  # (days, touchpoints)
    tp_felt: np.ndarray
    tp_delight: np.ndarray
    tp_pain: np.ndarray
    segment_active: np.ndarray  # (days, segments)
    segment_revenue: np.ndarray
    segment_cost: np.ndarray
    segment_churned: np.ndarray
    cohort_active: np.ndarray  # (cohorts, age in days): active customers by age since joining
    cohort_size: np.ndarray  # (cohorts,)
    churn_attributed: np.ndarray  # (touchpoints + 1,): last = no pain point in the last episode
    # (blocks of people, window + days): people whose latest purchase fell on each day (index
    # day + window; index 0: earlier or never), kept by the kernels for buyers_13w
    latest_purchase: np.ndarray
    # output.record_messages: word-of-mouth messages as rows (day, sender, receiver, +1 / -1),
    # up to its capacity; message_count = (recorded, not recorded for want of room)
    messages: np.ndarray
    message_count: np.ndarray

    @classmethod
    def allocate(cls, days: int, touchpoints: int, segments: int, cohorts: int,
                 blocks: int = 1, window: int = 91, messages: int = 0) -> "Daily":
        def counts(*shape):
            return np.zeros(shape, dtype=np.int64)

        def sums(*shape):
            return np.zeros(shape, dtype=np.float64)

        return cls(
            **{name: counts(days) for name in COUNTS},
            **{name: sums(days) for name in SUMS},
            tp_visits=counts(days, touchpoints),
            tp_felt=sums(days, touchpoints),
            tp_delight=counts(days, touchpoints),
            tp_pain=counts(days, touchpoints),
            segment_active=counts(days, segments),
            segment_revenue=sums(days, segments),
            segment_cost=sums(days, segments),
            segment_churned=counts(days, segments),
            cohort_active=counts(cohorts, days),
            cohort_size=counts(cohorts),
            churn_attributed=counts(touchpoints + 1),
            latest_purchase=counts(blocks, window + days),
            messages=np.zeros((messages, 4), dtype=np.int64),
            message_count=counts(2),
        )
