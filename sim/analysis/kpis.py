"""The figures that comparisons and sweeps report for each run.

Computed from what every run already writes (its summary and its segment table), so a
sweep's table can be gathered from the job folders alone, on any launcher.
"""

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.analysis.summary import projected_clv

# name -> meaning; the figures a comparison reports differences of, in this order
KPIS: dict[str, str] = {
    "retention": "12-month customer retention rate (E - N) / S over every customer (share; "
    "N-day for shorter runs)",
    "new_retention": "retention of customers acquired during the run, 180 days after joining "
    "(half the run for runs shorter than a year)",
    "revenue": "revenue over the run",
    "profit": "profit over the run after every cost, the scenario's daily and one-off ones too",
    "nps": "true NPS of the current customers on the last day (-100..100)",
    "nps_ever": "true NPS of everybody who was a customer during the run, those who left too",
    "clv": "projected customer lifetime value net of every cost to serve, agents included, all "
    "segments together (closed form, as in segments)",
}
# further figures a sweep's table carries for each run
DESCRIPTIVE = (
    "active_customers",
    "base_retention",
    "churn_rate_monthly",
    "nps_survey_90d",
    "csat",
    "csat_survey_90d",
    "pained_episodes",
    "mean_attitude",
    "new_customers",
    "won_back",
    "churned",
    "wom_positive_to_negative",
    "service_level",  # share of calls answered within service_centre.service_level_seconds
    "service_occupancy",  # busy agent-seconds / staffed agent-seconds
)


def scenario_cost(cfg: Mapping[str, Any]) -> float:
    """Everything the scenario costs over the run: the daily CX investment and the one-off."""
    return cfg["money"]["cx_investment_per_day"] * cfg["days"] + cfg["scenario"]["one_off_cost"]


def overall_clv(segments: pd.DataFrame, gross_margin: float, annual_discount_rate: float) -> float:
    """Projected CLV over all segments: sim.analysis.summary.projected_clv with the daily
    margin and the daily churn rate pooled over the whole base's customer-days."""
    days = float(segments.customer_days.sum())
    if days <= 0:
        return float("nan")
    churned = float((segments.daily_churn_rate.fillna(0.0) * segments.customer_days).sum())
    margin = (
        gross_margin * float(segments.revenue.sum()) - float(segments.cost_to_serve.sum())
    ) / days
    return projected_clv(margin, churned / days, annual_discount_rate)


def run_kpis(summary: Mapping[str, Any], segments: pd.DataFrame) -> dict[str, float]:
    """The KPIs and descriptive figures of one run, from its summary and segment table."""
    cfg = summary["config"]
    money = cfg["money"]
    out = {
        "retention": float(summary["retention"]),
        "new_retention": float(summary["new_retention"]),
        "revenue": float(summary["revenue"]),
        "profit": float(summary["profit"]) - float(cfg["scenario"]["one_off_cost"]),
        "nps": float(summary["nps"]),
        "nps_ever": float(summary["nps_ever"]),
        "clv": overall_clv(segments, money["gross_margin"], money["annual_discount_rate"]),
    }
    out.update({name: float(summary.get(name, float("nan"))) for name in DESCRIPTIVE})
    out["scenario_cost"] = scenario_cost(cfg)
    return out
