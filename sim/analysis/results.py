"""What a run reports: the Result, its tidy tables (sim.analysis.tables, where the daily
columns are documented), its summary (sim.analysis.summary) and its plots
(sim.analysis.plots, imported when asked for).
"""

from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.analysis.summary import clv_notes, message_counts, summary_figures
from sim.analysis.tables import (
    cohort_table,
    customer_table,
    daily_table,
    message_table,
    network_sample,
    segment_table,
    touchpoint_tables,
)
from sim.files import write_atomic, write_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TABLES = ("daily", "customers", "journey_map", "touchpoints_daily", "cohorts", "segments")


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
