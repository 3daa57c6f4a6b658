"""What a run reports: preallocated daily records and the tidy tables built from them.

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

from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.engine.record import Daily
from sim.engine.state import COHORT_DAYS, STATUS_NAMES
from sim.files import write_atomic, write_json
from sim.mechanisms.support_calls import MONITORS as SERVICE_MONITORS
from sim.mechanisms.survey import nps, nps_answers

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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


def projected_clv(margin_per_day, daily_churn_rate, annual_discount_rate: float):
    """Closed-form CLV for constant churn c: m (1 + r) / (r + c), r the daily discount rate.

    Convention: a customer active on day t earns the day's margin m, then may churn at
    the end of the day (tests/test_classical.py). Works on numbers and arrays. With no
    discounting and no churn (r + c = 0) the sum does not converge: the CLV is NaN there
    (null in summary.json, with the reason in `clv_notes`), never inf.
    """
    r = (1.0 + annual_discount_rate) ** (1.0 / 365.0) - 1.0
    denominator = r + np.asarray(daily_churn_rate, dtype=np.float64)
    safe = np.where(denominator > 0, denominator, 1.0)
    clv = np.where(denominator > 0, np.asarray(margin_per_day) * (1.0 + r) / safe, np.nan)
    return clv if clv.ndim else float(clv)


CLV_NOTE = (
    "not finite: no churn observed and money.annual_discount_rate is 0, so the lifetime "
    "value has no finite sum; give a discount rate above 0 or simulate longer"
)


CLV_NOTE_EMPTY = "undefined: the segment had no customers in the run"


def clv_notes(segments: pd.DataFrame) -> dict[str, str]:
    """Why a segment's projected CLV is null in summary.json (empty when all are finite)."""
    bad = ~np.isfinite(segments.projected_clv.to_numpy(dtype=float))
    empty = segments.customer_days.to_numpy() == 0
    return {
        name: CLV_NOTE_EMPTY if none else CLV_NOTE
        for name, none in zip(segments.segment[bad], empty[bad], strict=True)
    }


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


def customer_retention_rate(daily: pd.DataFrame, start_customers: int, days: int) -> float:
    """Customer retention rate over days [0, days): (E - N) / S, at least 0.

    S: customers at the start, E: customers at the end, N: customers gained during the
    period (new and won back). Counts every customer, whenever acquired, so a better
    experience for new customers shows here too (the day-0 base alone would hide it).
    Since E = S + N - churned, it is 1 - churned / S, which falls below 0 when more
    customers leave during the period than there were at its start (reported as 0).
    """
    if start_customers <= 0:
        return float("nan")
    period = daily.iloc[:days]
    gained = float(period.new.sum() + period.won_back.sum())
    return max(0.0, (float(period.active.iloc[-1]) - gained) / start_customers)


def new_customer_retention(cohorts: pd.DataFrame, age_days: int) -> float:
    """Share of customers acquired during the run still active `age_days` after joining,
    over every cohort whose members reached that age (NaN if none did)."""
    at_age = cohorts[(cohorts.cohort > 0) & (cohorts.age_days == age_days)]
    size = float(at_age["size"].sum())
    return float(at_age.active.sum()) / size if size > 0 else float("nan")


def monthly_churn_rate(daily: pd.DataFrame) -> float:
    """Churn over 30 days at the run's daily rate (churned per customer-day at risk)."""
    at_risk = float(daily.active.sum() + daily.churned.sum())
    if at_risk <= 0:
        return float("nan")
    return 1.0 - (1.0 - float(daily.churned.sum()) / at_risk) ** 30


def summary_figures(
    daily: pd.DataFrame, cohorts: pd.DataFrame, customers: pd.DataFrame, start_customers: int
) -> dict[str, float]:
    """Headline figures of a run, the ones a strategist reads first (README, "KPIs")."""
    last = daily.iloc[-1]
    base = cohorts[cohorts.cohort == 0]
    horizon = min(365, len(daily))
    recent = daily.iloc[-90:]
    responses = float(recent.survey_responses.sum())
    episodes = float(daily.episodes.sum())
    # everybody who was a customer during the run: those still in the market, and those
    # who left it (counted as they answered when they left)
    ever = customers[customers.cohort >= 0]
    ever_count = len(ever) + float(daily.exit_customers.sum())
    sent_negative = float(daily.wom_negative.sum())
    new_days = 180 if len(daily) >= 365 else max(1, len(daily) // 2)
    return {
        "active_customers": int(last.active),
        "retention_days": horizon,
        "retention": customer_retention_rate(daily, start_customers, horizon),
        "base_retention": float(base.retention.iloc[horizon - 1]) if len(base) else float("nan"),
        "new_retention_days": new_days,
        "new_retention": new_customer_retention(cohorts, new_days),
        "new_retention_90d": new_customer_retention(cohorts, 90),
        "new_retention_180d": new_customer_retention(cohorts, 180),
        "churn_rate_monthly": monthly_churn_rate(daily),
        "revenue": float(daily.revenue.sum()),
        "profit": float(daily.profit.sum()),
        "nps": float(last.nps),
        "nps_ever": nps(
            float((ever.nps_answer >= 9).sum() + daily.exit_promoters.sum()),
            float((ever.nps_answer <= 6).sum() + daily.exit_detractors.sum()),
            ever_count,
        ),
        "nps_survey_90d": nps(
            float(recent.survey_promoters.sum()), float(recent.survey_detractors.sum()), responses
        ),
        "csat": float((recent.csat * recent.episodes).sum() / recent.episodes.sum())
        if recent.episodes.sum()
        else float("nan"),
        "csat_survey_90d": float(recent.survey_satisfied.sum() / responses)
        if responses
        else float("nan"),
        "pained_episodes": float(daily.episodes_pained.sum()) / episodes
        if episodes
        else float("nan"),
        "mean_attitude": float(last.mean_attitude),
        "new_customers": int(daily.new.sum()),
        "won_back": int(daily.won_back.sum()),
        "churned": int(daily.churned.sum()),
        "wom_positive_to_negative": float(daily.wom_positive.sum()) / sent_negative
        if sent_negative
        else float("nan"),
        **service_figures(daily),
    }


def service_figures(daily: pd.DataFrame) -> dict[str, float]:
    """The service centre over the run: share of all calls answered within the threshold
    (each day weighted by its calls) and agent occupancy (each day weighted by its
    agent-hours, i.e. its agent cost); NaN without a service centre."""
    calls = daily.service_calls.to_numpy(dtype=float)
    hours = daily.cost_service_centre.to_numpy(dtype=float)
    level = daily.service_level.to_numpy(dtype=float)
    busy = daily.service_occupancy.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        ok, staffed = ~np.isnan(level) & (calls > 0), ~np.isnan(busy) & (hours > 0)
        return {
            "service_level": float((level[ok] * calls[ok]).sum() / calls[ok].sum())
            if ok.any() else float("nan"),
            "service_occupancy": float(
                (busy[staffed] * hours[staffed]).sum() / hours[staffed].sum()
            ) if staffed.any() else float("nan"),
        }


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


TABLES = ("daily", "customers", "journey_map", "touchpoints_daily", "cohorts", "segments")


def message_table(d: Daily) -> pd.DataFrame:
    """The recorded word-of-mouth messages: day, sender, receiver (person ids), positive."""
    rows = d.messages[: int(d.message_count[0])]
    if rows.shape[0] == 0:
        return pd.DataFrame()
    return pd.DataFrame({"day": rows[:, 0], "sender": rows[:, 1], "receiver": rows[:, 2],
                         "positive": rows[:, 3] > 0})


def message_counts(d: Daily, capacity: int) -> dict[str, int]:
    """Summary entries of a run that records messages (none when it does not)."""
    if capacity == 0:
        return {}
    return {"messages_recorded": int(d.message_count[0]),
            "messages_not_recorded": int(d.message_count[1])}


@dataclass
class Result:
    """Everything a run reports: tidy tables, a summary and plots."""

    daily: pd.DataFrame
    customers: pd.DataFrame
    journey_map: pd.DataFrame
    touchpoints_daily: pd.DataFrame
    cohorts: pd.DataFrame
    segments: pd.DataFrame
    summary: dict[str, Any]
    config: dict[str, Any] = field(repr=False)
    network_sample: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    service_hourly: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    # output.record_messages: day, sender, receiver, positive (empty when not recorded)
    messages: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @classmethod
    def from_model(cls, model) -> "Result":
        cfg = model.cfg
        money = cfg["money"]
        d = model.daily
        j = model.journey
        support = model.support
        daily = daily_table(
            d,
            money["gross_margin"],
            money["cx_investment_per_day"],
            cfg["reviews"],
            None if support is None else support.monitors,
        )
        daily = daily.iloc[: model.day].reset_index(drop=True)
        journey_map, per_day = touchpoint_tables(d, j.names, j.channel, j.cost, j.price)
        cohorts = cohort_table(d, model.day)
        segments = segment_table(
            d,
            model.segment_names,
            money["gross_margin"],
            money["annual_discount_rate"],
            None if support is None else support.agent_cost_by_segment(),
        )
        customers = customer_table(model)
        summary = {
            "package": "cxsim",
            "version": version("cxsim"),
            "seed": cfg["seed"],
            "replication": cfg["replication"],
            "days": model.day,
            "journey": j.name,
            "people": model.n_people,
            **summary_figures(daily, cohorts, customers, cfg["population"]["customers"]),
            "clv_by_segment": dict(
                zip(segments.segment, segments.projected_clv.round(2), strict=True)
            ),
            "clv_notes": clv_notes(segments),
            "service_staffing": None if support is None else support.centre["staffing"],
            "service_staffing_weekend": None if support is None or support.weekend is None
            else support.weekend["staffing"],
            **message_counts(d, cfg["output"]["record_messages"]),
            "config": cfg,
        }
        return cls(
            daily=daily,
            customers=customers,
            journey_map=journey_map,
            touchpoints_daily=per_day[per_day.day < model.day].reset_index(drop=True),
            cohorts=cohorts,
            segments=segments,
            summary=summary,
            config=cfg,
            network_sample=network_sample(model.network),
            service_hourly=pd.concat(support.hourly, ignore_index=True)
            if support is not None and support.hourly
            else pd.DataFrame(),
            messages=message_table(d),
        )

    def save(self, folder: str | Path, formats: tuple[str, ...] = ("parquet", "csv")) -> Path:
        """Write every table (in each format), summary.json and, on request, the plots."""
        folder = Path(folder)
        for name in (*TABLES, "service_hourly", "messages"):
            table: pd.DataFrame = getattr(self, name)
            if name in ("service_hourly", "messages") and table.empty:
                continue
            if "parquet" in formats:
                write_atomic(folder / f"{name}.parquet", lambda tmp, t=table: t.to_parquet(tmp))
            if "csv" in formats:
                write_atomic(
                    folder / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False)
                )
        write_json(folder / "summary.json", self.summary)
        return folder

    def plot(self, folder: str | Path | None = None) -> dict[str, "Figure"]:
        """The standard figures; written as PNGs into folder/plots when a folder is given."""
        from sim.analysis.plots import standard_figures

        return standard_figures(self, folder)
