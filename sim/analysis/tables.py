"""The tidy tables of a run, built from its daily records (sim.engine.record.Daily) and its
final state: daily, touchpoints (the journey map and day x touchpoint), cohorts, segments,
customers, a sample of the social network and the recorded word-of-mouth messages.

Daily columns (one row per day; money in the journey's currency):

| column | meaning |
|---|---|
| day | 0-based day of the run |
| active | active customers at the end of the day |
| new | prospects acquired today (advertising) |
| won_back | lapsed customers who returned today |
| churned | customers who left today |
| prospects, lapsed | people in the market who are not customers |
| exits | lapsed customers who left the market today (newcomer prospects took their places) |
| exit_customers | of them, those who were customers during the run |
| exit_promoters, exit_detractors | ...and their NPS category when they left |
| exit_revenue, exit_cost | what they had paid and cost in the run |
| revenue | revenue of today's purchases and bills |
| gross_margin | revenue x money.gross_margin |
| cost_service | cost to serve today's touchpoint visits |
| cost_acquisition | acquisition and win-back costs |
| cost_cx_investment | money.cx_investment_per_day |
| cost_service_centre | agents' pay: staffed agent-hours x service_centre.agent_cost_per_hour |
| profit | gross_margin - cost_service - cost_acquisition - cost_cx_investment |
|  | - cost_service_centre |
| mean_attitude | mean attitude of active customers (0 = neutral) |
| mean_expectation | mean expectation customers held at today's visits (0-10) |
| promoters, passives, detractors | true NPS categories of all active customers |
| nps | true NPS (-100..100) of all active customers |
| visits | touchpoint visits today |
| episodes | journey episodes completed today |
| purchases | purchase episodes begun today: new customers' first, repeat and won-back ones |
| buyers_13w | people (any status) whose latest purchase began in the last 91 days (today too) |
| episodes_delighted, episodes_pained | remembered above / below the thresholds |
| csat | top-2-box: share of today's episodes a customer would rate 4-5 of 5 (truth) |
| survey_invited, survey_responses | invitations sent and answered today |
| survey_promoters, survey_detractors, survey_satisfied | what today's respondents answered |
| survey_nps_30d | NPS observed in the responses of the last 30 days |
| survey_csat_30d | CSAT observed in the responses of the last 30 days |
| wom_positive, wom_negative | word-of-mouth messages sent today (heard this evening) |
| wom_reached | people who heard at least one message today |
| referrals | prospects who became customers through word of mouth, not advertising |
| reviews | public reviews posted today |
| review_average | star average (1-5) of all public reviews at the end of the day |
| service_calls | calls to the service centre |
| service_answered, service_abandoned | how they ended: answered, or the caller hung up |
| service_unserved | still waiting at closing, disconnected |
| service_resolved | answered calls that resolved the issue (first-contact resolution) |
| service_mean_wait_s | mean wait of answered calls (seconds) |
| service_p90_wait_s | 90th percentile wait of answered calls (seconds) |
| service_level | share of all calls answered within service_centre.service_level_seconds |
| service_occupancy | busy agent-seconds / staffed agent-seconds |
"""

import numpy as np
import pandas as pd

from sim.analysis.summary import projected_clv
from sim.engine.record import Daily
from sim.engine.state import COHORT_DAYS, STATUS_NAMES
from sim.mechanisms.support_calls import MONITORS as SERVICE_MONITORS
from sim.mechanisms.survey import nps_answers


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def review_average(d: Daily, initial_average: float, initial_count: int) -> np.ndarray:
    """Star average of all public reviews at the end of each day (the prior included)."""
    stars = initial_average * initial_count + np.cumsum(d.review_stars)
    count = initial_count + np.cumsum(d.reviews)
    return _share(stars, count)


def daily_table(
    d: Daily,
    gross_margin: float,
    cx_investment_per_day: float,
    reviews: dict,
    service: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    days = d.active.shape[0]
    if service is None:  # no service centre: no calls, no agents
        service = {name: np.full(days, np.nan) for name in SERVICE_MONITORS}
        for name in ("calls", "answered", "abandoned", "unserved", "resolved", "agent_cost"):
            service[name] = np.zeros(days)
    agents = service["agent_cost"]
    active = d.active
    passives = active - d.promoters - d.detractors
    margin = d.revenue * gross_margin
    invest = np.full(days, cx_investment_per_day)
    window = 30
    resp = _rolling(d.survey_responses, window)
    return pd.DataFrame(
        {
            "day": np.arange(days),
            "active": active,
            "new": d.new,
            "won_back": d.won_back,
            "churned": d.churned,
            "prospects": d.prospects,
            "lapsed": d.lapsed,
            "exits": d.exits,
            "exit_customers": d.exit_customers,
            "exit_promoters": d.exit_promoters,
            "exit_detractors": d.exit_detractors,
            "exit_revenue": d.exit_revenue,
            "exit_cost": d.exit_cost,
            "revenue": d.revenue,
            "gross_margin": margin,
            "cost_service": d.cost_service,
            "cost_acquisition": d.cost_acquisition,
            "cost_cx_investment": invest,
            "cost_service_centre": agents,
            "profit": margin - d.cost_service - d.cost_acquisition - invest - agents,
            "mean_attitude": _share(d.attitude_sum, active),
            "mean_expectation": _share(d.expectation_sum, d.tp_visits.sum(axis=1)),
            "promoters": d.promoters,
            "passives": passives,
            "detractors": d.detractors,
            "nps": 100.0 * _share(d.promoters - d.detractors, active),
            "visits": d.tp_visits.sum(axis=1),
            "episodes": d.episodes,
            "purchases": d.purchases,
            "buyers_13w": d.buyers_13w,
            "episodes_delighted": d.episodes_delighted,
            "episodes_pained": d.episodes_pained,
            "csat": _share(d.satisfied_episodes, d.episodes),
            "survey_invited": d.survey_invited,
            "survey_responses": d.survey_responses,
            "survey_promoters": d.survey_promoters,
            "survey_detractors": d.survey_detractors,
            "survey_satisfied": d.survey_satisfied,
            "survey_nps_30d": 100.0
            * _share(
                _rolling(d.survey_promoters, window) - _rolling(d.survey_detractors, window), resp
            ),
            "survey_csat_30d": _share(_rolling(d.survey_satisfied, window), resp),
            "wom_positive": d.wom_positive,
            "wom_negative": d.wom_negative,
            "wom_reached": d.wom_reached,
            "referrals": d.referrals,
            "reviews": d.reviews,
            "review_average": review_average(
                d, reviews["initial_average"], reviews["initial_count"]
            ),
            "service_calls": service["calls"],
            "service_answered": service["answered"],
            "service_abandoned": service["abandoned"],
            "service_unserved": service["unserved"],
            "service_resolved": service["resolved"],
            "service_mean_wait_s": service["mean_wait"],
            "service_p90_wait_s": service["p90_wait"],
            "service_level": service["service_level"],
            "service_occupancy": service["agent_occupancy"],
        }
    )


def _rolling(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing sums over `window` days (shorter at the start)."""
    c = np.cumsum(x)
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    return out


def touchpoint_tables(
    d: Daily,
    names: tuple[str, ...],
    channel: tuple[str, ...],
    cost: np.ndarray,
    price_visits: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The journey map (one row per touchpoint) and the tidy day x touchpoint table."""
    visits = d.tp_visits.sum(axis=0)
    journey_map = pd.DataFrame(
        {
            "touchpoint": list(names),
            "channel": list(channel),
            "visits": visits,
            "mean_felt_value": _share(d.tp_felt.sum(axis=0), visits),
            "delight_share": _share(d.tp_delight.sum(axis=0), visits),
            "pain_share": _share(d.tp_pain.sum(axis=0), visits),
            "cost_to_serve": visits * cost,
            "revenue_visits": visits * price_visits,
            "churn_attributed": d.churn_attributed[:-1],
        }
    )
    days, n_tp = d.tp_visits.shape
    per_day = pd.DataFrame(
        {
            "day": np.repeat(np.arange(days), n_tp),
            "touchpoint": np.tile(np.array(names, dtype=object), days),
            "visits": d.tp_visits.ravel(),
            "mean_felt_value": _share(d.tp_felt.ravel(), d.tp_visits.ravel()),
            "delighted": d.tp_delight.ravel(),
            "pained": d.tp_pain.ravel(),
        }
    )
    return journey_map, per_day


def cohort_table(d: Daily, days_run: int) -> pd.DataFrame:
    """Retention by acquisition cohort: share of each cohort active by age.

    Cohort 0 is the day-0 customer base; cohort c >= 1 holds customers first acquired in
    days [30(c-1), 30c). Age counts days since each customer's own first acquisition,
    and the share at age a is over the cohort members who had reached age a by the
    end of the run. Won-back customers count as active again.
    """
    rows = []
    joined = d.first_acquired[:days_run]
    for c in np.nonzero(d.cohort_size)[0]:
        if c == 0:
            size = np.full(days_run, d.cohort_size[0])
        else:
            window = np.zeros(days_run, dtype=np.int64)
            lo, hi = (c - 1) * COHORT_DAYS, min(c * COHORT_DAYS, days_run)
            window[lo:hi] = joined[lo:hi]
            # members who joined on day f reach age a by the end if f + a <= days_run - 1
            size = np.cumsum(window)[::-1]
        ages = np.nonzero(size > 0)[0]
        rows.append(
            pd.DataFrame(
                {
                    "cohort": c,
                    "age_days": ages,
                    "active": d.cohort_active[c, ages],
                    "size": size[ages],
                    "retention": d.cohort_active[c, ages] / size[ages],
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["cohort", "age_days", "active", "size", "retention"])
    return pd.concat(rows, ignore_index=True)


def segment_table(
    d: Daily,
    names: tuple[str, ...],
    gross_margin: float,
    annual_discount_rate: float,
    agent_cost: np.ndarray | None = None,
) -> pd.DataFrame:
    """Revenue, churn and customer lifetime value by segment.

    Projected CLV is projected_clv with m the daily margin per active customer-day (gross
    margin minus every cost to serve: touchpoint visits and, when a service centre runs,
    its agents' pay, apportioned to segments by their calls) and c the observed daily
    churn rate. Acquisition cost is not in it: compare CLV with the cost of acquiring.
    """
    active_days = d.segment_active.sum(axis=0) + d.segment_churned.sum(axis=0)
    revenue = d.segment_revenue.sum(axis=0)
    cost = d.segment_cost.sum(axis=0)
    if agent_cost is not None:
        cost = cost + agent_cost
    churn_rate = _share(d.segment_churned.sum(axis=0), active_days)
    margin_per_day = _share(revenue * gross_margin - cost, active_days)
    return pd.DataFrame(
        {
            "segment": list(names),
            "customer_days": active_days,
            "revenue": revenue,
            "cost_to_serve": cost,
            "daily_churn_rate": churn_rate,
            "margin_per_customer_day": margin_per_day,
            "projected_clv": projected_clv(margin_per_day, churn_rate, annual_discount_rate),
        }
    )


def customer_table(model) -> pd.DataFrame:
    """The final state of every person in the market, one row each."""
    s, p = model.state, model.params
    answers = nps_answers(s.attitude, s.nps_offset, p.nps_at_neutral, p.nps_per_unit)
    return pd.DataFrame(
        {
            "id": np.arange(s.status.shape[0]),
            "status": pd.Categorical.from_codes(s.status, categories=list(STATUS_NAMES)),
            "segment": pd.Categorical.from_codes(s.segment, categories=list(model.segment_names)),
            "cohort": s.cohort,
            "acquired_day": s.acquired_day,
            "attitude": s.attitude,
            "expectation": s.expectation,
            "nps_answer": answers,
            "episodes": s.episodes,
            "revenue": s.revenue,
            "cost": s.cost,
            "revenue_pv": s.revenue_pv,
            "churns": s.churns,
        }
    )


def network_sample(network, size: int = 250) -> pd.DataFrame:
    """Edges (u, v) among about `size` people reached by breadth-first search from person 0:
    a readable snapshot of the social network at any market size."""
    indptr, indices = network.indptr, network.indices
    if indices.size == 0:
        return pd.DataFrame({"u": [], "v": []}, dtype=np.int64)
    start = int(np.argmax(np.diff(indptr) > 0))
    seen = {start: None}
    frontier = [start]
    while frontier and len(seen) < size:
        nxt = []
        for i in frontier:
            for j in indices[indptr[i] : indptr[i + 1]].tolist():
                if j not in seen and len(seen) < size:
                    seen[j] = None
                    nxt.append(j)
        frontier = nxt
    nodes = np.fromiter(seen, dtype=np.int64)
    keep = np.zeros(indptr.size - 1, dtype=bool)
    keep[nodes] = True
    u = np.repeat(nodes, np.diff(indptr)[nodes])
    v = np.concatenate([indices[indptr[i] : indptr[i + 1]] for i in nodes]).astype(np.int64)
    mask = keep[v] & (u < v)
    return pd.DataFrame({"u": u[mask], "v": v[mask]})


def message_table(d: Daily) -> pd.DataFrame:
    """The recorded word-of-mouth messages: day, sender, receiver (person ids), positive."""
    rows = d.messages[: int(d.message_count[0])]
    if rows.shape[0] == 0:
        return pd.DataFrame()
    return pd.DataFrame({"day": rows[:, 0], "sender": rows[:, 1], "receiver": rows[:, 2],
                         "positive": rows[:, 3] > 0})
