"""cxsim-dashboard: the model in the browser, with sliders, Step / Play / Reset and live plots.

A thin layer over the same model the CLI runs (`CXModel.step()`): `Settings` are the
controls a student or strategist moves, `settings_overrides` turns them into the Hydra
overrides `cxsim` accepts, `Session` steps the model (and, in compare mode, a baseline with
the same seed, so both draw the same random numbers and the difference is the effect) and
draws the live figures. `Page` is the Solara page; `cxsim-dashboard` serves it offline
(solara-assets ships the page's scripts). In Jupyter, `from sim.app.dashboard import Page; Page()`.

The core never imports this module.
"""

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import matplotlib as mpl
import numpy as np
import yaml
from matplotlib.figure import Figure

from sim.analysis.plots import draw_journey, journey_graph
from sim.config import CONFIG_DIR, load_config
from sim.config.schema import PILLARS
from sim.engine.model import CXModel
from sim.errors import ConfigError
from sim.studies.scenarios import available_scenarios

PAIN, LOVE = "#c0392b", "#27ae60"
JOURNEYS = tuple(sorted(p.stem for p in (CONFIG_DIR / "journey").glob("*.yaml")))
WORD_OF_MOUTH = tuple(sorted(p.stem for p in (CONFIG_DIR / "word_of_mouth").glob("*.yaml")))
MEMORY_RULES = ("peak_end", "mean", "sum")
JOURNEY_MAP_EVERY = 10  # days between redraws of the journey map while playing (a PNG)
WEEK = 7


@dataclass(frozen=True)
class Settings:
    """What the dashboard's controls set. None keeps the config's own value."""

    journey: str = "retail"
    scenario: str = "baseline"
    customers: int = 10_000  # with 0.7 prospects per customer, as the default market
    days: int = 365
    seed: int = 42
    quality: tuple[tuple[str, str, float], ...] = ()  # (touchpoint, pillar, 0-10)
    word_of_mouth: str = "evidence"
    positive_contacts: int | None = None  # k+
    negative_contacts: int | None = None  # k-
    staffing_multiplier: float = 1.0
    price_change: float = 0.0  # relative change of every price (money.price_index): 0.1 = +10%
    ad_rate_per_day: float | None = None
    memory_rule: str = "peak_end"
    compare: bool = False

    def with_quality(self, touchpoint: str, pillar: str, value: float) -> "Settings":
        kept = tuple(q for q in self.quality if q[:2] != (touchpoint, pillar))
        return replace(self, quality=(*kept, (touchpoint, pillar, float(value))))


def base_overrides(s: Settings) -> list[str]:
    """The overrides a baseline shares with the user's settings: market, horizon, seed."""
    return [
        f"journey={s.journey}",
        f"population.customers={s.customers}",
        f"population.prospects={round(0.7 * s.customers)}",
        f"days={s.days}",
        f"seed={s.seed}",
    ]


def settings_overrides(s: Settings) -> list[str]:
    """The settings as `cxsim` overrides (the same keys a user types on the command line)."""
    out = [*base_overrides(s), f"scenario={s.scenario}", f"word_of_mouth={s.word_of_mouth}"]
    if s.positive_contacts is not None:
        out.append(f"word_of_mouth.positive_contacts={s.positive_contacts}")
    if s.negative_contacts is not None:
        out.append(f"word_of_mouth.negative_contacts={s.negative_contacts}")
    if s.staffing_multiplier != 1.0:
        out.append(f"service_centre.staffing_multiplier={s.staffing_multiplier:g}")
    if s.ad_rate_per_day is not None:
        out.append(f"acquisition.ad_rate_per_day={s.ad_rate_per_day:g}")
    if s.memory_rule != "peak_end":
        out.append(f"memory.rule={s.memory_rule}")
    for tp, pillar, value in s.quality:
        out.append(f"journey.touchpoints.{tp}.quality.{pillar}={value:g}")
    if s.price_change:  # felt as value for money by each segment's price sensitivity
        out.append(f"money.price_index={1 + s.price_change:g}")
    return out


def scenarios_for(journey: str) -> list[str]:
    """The shipped scenarios that fit a journey (their `scenario.journey` is it, or `any`)."""
    names = []
    for name in available_scenarios():
        text = (CONFIG_DIR / "scenario" / f"{name}.yaml").read_text()
        meant = (yaml.safe_load(text) or {}).get("scenario", {}).get("journey", "any")
        if meant in ("any", journey):
            names.append(name)
    return names


@dataclass
class Session:
    """One dashboard run: the model under the user's settings and, to compare, the baseline."""

    settings: Settings
    model: CXModel = field(init=False)
    baseline: CXModel | None = field(init=False, default=None)
    step_seconds: float = field(init=False, default=0.0)  # wall time of the last day

    def __post_init__(self) -> None:
        s = self.settings
        self.model = CXModel(load_config(settings_overrides(s)))
        if s.compare:
            self.baseline = CXModel(load_config(base_overrides(s)))
        self._graph = journey_graph(self.model.journey)

    @property
    def day(self) -> int:
        return self.model.day

    @property
    def finished(self) -> bool:
        return self.model.day >= self.model.days

    def step(self, days: int = 1) -> None:
        start = time.perf_counter()
        for _ in range(min(days, self.model.days - self.model.day)):
            self.model.step()
            if self.baseline is not None:
                self.baseline.step()
        self.step_seconds = time.perf_counter() - start

    def series(self, model: CXModel | None = None) -> dict[str, np.ndarray]:
        """The live series of the days simulated so far (a few arrays, not the full tables)."""
        m = model or self.model
        d, t = m.daily, m.day
        money = m.cfg["money"]
        agents = (np.zeros(t) if m.support is None
                  else np.nan_to_num(m.support.monitors["agent_cost"][:t]))
        revenue = d.revenue[:t]
        profit = (revenue * money["gross_margin"] - d.cost_service[:t] - d.cost_acquisition[:t]
                  - money["cx_investment_per_day"] - agents)
        active = d.active[:t].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            nps = np.where(active > 0, 100 * (d.promoters[:t] - d.detractors[:t]) / active, np.nan)
            prom = _trailing(d.survey_promoters[:t], 30) - _trailing(d.survey_detractors[:t], 30)
            resp = _trailing(d.survey_responses[:t], 30)
            survey = np.where(resp > 0, 100 * prom / resp, np.nan)
        base = d.cohort_size[0]
        return {
            "day": np.arange(t),
            "active": active,
            "retention": 100 * d.cohort_active[0, :t] / base if base else np.zeros(t),
            "revenue": revenue,
            "profit": profit,
            "cum_profit": np.cumsum(profit),
            "nps": nps,
            "survey_nps": survey,
            "wom_positive": d.wom_positive[:t].astype(float),
            "wom_negative": d.wom_negative[:t].astype(float),
        }

    def charts(self) -> dict[str, dict[str, Any]]:
        """The live time series as ECharts options: drawn by the browser, cheap to update."""
        s, b = self.series(), self._baseline_series()
        m = self.model
        currency = m.cfg["money"].get("currency", "")
        wom = m.cfg["word_of_mouth"]
        customers = [_line("active customers", s["day"], s["active"], "black"),
                     _line("day-0 base retained (%)", s["day"], s["retention"], "#1f77b4", axis=1)]
        money = [_line("revenue", s["day"], _smooth(s["revenue"]), "#1f77b4"),
                 _line("profit", s["day"], _smooth(s["profit"]), LOVE)]
        if b is not None:
            customers.append(_line("baseline: active", b["day"], b["active"], "grey", dashed=True))
            money.append(_line("baseline: profit", b["day"], _smooth(b["profit"]), "grey",
                               dashed=True))
        charts = {
            "customers": _chart("Active customers and retention of the day-0 base", m.days,
                                customers, "customers", low=0,
                                right=("% of day-0 base", 0, 100)),
            "money": _chart("Revenue and profit per day, 7-day mean", m.days, money,
                            currency or "money"),
            "nps": _chart("NPS: the truth vs what the survey sees", m.days, [
                _line("true NPS (every customer)", s["day"], s["nps"], "black"),
                _line("survey NPS (last 30 days)", s["day"], s["survey_nps"], "#ff7f0e")],
                "NPS (points)", low=-100, high=100),
            "word_of_mouth": _chart(
                f"Word of mouth: delighted tell {wom['positive_contacts']}, "
                f"pained tell {wom['negative_contacts']}", m.days, [
                    _line("positive messages a day", s["day"], _smooth(s["wom_positive"]), LOVE),
                    _line("negative messages a day", s["day"], _smooth(s["wom_negative"]), PAIN)],
                "messages (7-day mean)", low=0),
        }
        if b is not None:
            charts["difference"] = _chart(
                "Your settings minus the baseline (same random numbers)", m.days, [
                    _line("cumulative profit", s["day"], s["cum_profit"] - b["cum_profit"], LOVE),
                    _line("active customers", s["day"], s["active"] - b["active"], "black",
                          axis=1)],
                f"profit difference{f' ({currency})' if currency else ''}",
                right=("customers", None, None))
        return charts

    def _baseline_series(self) -> dict[str, np.ndarray] | None:
        return None if self.baseline is None else self.series(self.baseline)

    def journey_map_figure(self) -> Figure:
        m, g = self.model, self._graph
        t = m.day
        visits = m.daily.tp_visits[:t].sum(axis=0)
        felt = np.divide(m.daily.tp_felt[:t].sum(axis=0), visits,
                         out=np.zeros(len(visits)), where=visits > 0)
        fig = Figure(figsize=(5.2, 3.4), layout="constrained")
        ax = fig.subplots()
        lim = max(0.5, float(np.abs(felt).max(initial=0.0)))
        norm = mpl.colors.TwoSlopeNorm(vmin=-lim, vcenter=0.0, vmax=lim)
        cmap = mpl.colormaps["RdYlGn"]
        names = list(m.journey.names)
        size = {n: 250 + 900 * np.sqrt(v / max(1, visits.max()))
                for n, v in zip(names, visits, strict=True)}
        colour = {n: cmap(norm(f)) for n, f in zip(names, felt, strict=True)}
        size["end"], colour["end"] = 200, "white"
        draw_journey(ax, g, size, colour, {n: n for n in g.nodes}, font_size=6,
                     edge_labels=False)
        cbar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8)
        cbar.set_label("mean felt value (pain < 0 < love)", fontsize=7)
        cbar.ax.tick_params(labelsize=7)
        ax.set_title(f"Journey map, day {t}: colour = love and pain, size = visits", fontsize=9)
        return fig


def _line(name: str, x: np.ndarray, y: np.ndarray, colour: str, axis: int = 0,
          dashed: bool = False) -> dict[str, Any]:
    data = [[int(a), None if not np.isfinite(v) else round(float(v), 3)]
            for a, v in zip(x, y, strict=True)]
    return {"type": "line", "name": name, "data": data, "showSymbol": False, "color": colour,
            "yAxisIndex": axis, "lineStyle": {"type": "dashed" if dashed else "solid"}}


def _chart(title: str, days: int, series: list[dict[str, Any]], y_name: str,
           low: float | None = None, high: float | None = None,
           right: tuple[str, float | None, float | None] | None = None) -> dict[str, Any]:
    axes = [{"type": "value", "name": y_name, "min": low, "max": high, "scale": low is None}]
    if right is not None:
        axes.append({"type": "value", "name": right[0], "min": right[1], "max": right[2],
                     "splitLine": {"show": False}})
    return {
        "animation": False,
        "title": {"text": title, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 70, "right": 60, "top": 50, "bottom": 65},
        "xAxis": {"type": "value", "min": 0, "max": days, "name": "day",
                  "nameLocation": "middle", "nameGap": 22},
        "yAxis": axes,
        "series": series,
    }


def _trailing(x: np.ndarray, window: int) -> np.ndarray:
    c = np.cumsum(x)
    out = c.astype(float)
    out[window:] = c[window:] - c[:-window]
    return out


def _smooth(x: np.ndarray) -> np.ndarray:
    """Trailing 7-day mean (shorter at the start)."""
    if len(x) == 0:
        return x
    c = np.cumsum(x, dtype=float)
    n = np.minimum(np.arange(1, len(x) + 1), WEEK)
    out = c.copy()
    out[WEEK:] = c[WEEK:] - c[:-WEEK]
    return out / n


# ---------------------------------------------------------------- the Solara page
import solara  # noqa: E402  (the model above works without the page's libraries loaded first)


def _initial_settings() -> Settings:
    """The settings a page opens with: the defaults, or what cxsim-dashboard was given."""
    env = os.environ
    return Settings(
        journey=env.get("CXSIM_DASHBOARD_JOURNEY", "retail"),
        customers=int(env.get("CXSIM_DASHBOARD_CUSTOMERS", "10000")),
        days=int(env.get("CXSIM_DASHBOARD_DAYS", "365")),
        seed=int(env.get("CXSIM_DASHBOARD_SEED", "42")),
    )


settings = solara.reactive(_initial_settings())
playing = solara.reactive(False)
days_per_frame = solara.reactive(5)
frame = solara.reactive(0)  # bumped after each step so the plots redraw
error = solara.reactive("")
generation = solara.reactive(0)  # bumped by Reset: a new model with the same settings


def _heading(text: str) -> None:
    # not solara.Markdown: it loads KaTeX, which solara-assets does not ship (offline error)
    solara.Text(text, style={"font-weight": "bold", "margin-top": "12px"})


def _change(**kw: Any) -> None:
    playing.value = False
    settings.value = replace(settings.value, **kw)


@solara.component
def Controls(s: Settings, journey_cfg: dict[str, Any]) -> None:
    tps = list(journey_cfg["touchpoints"])
    chosen = solara.use_reactive(tps[0] if tps else "")
    if chosen.value not in tps:
        chosen.value = tps[0]
    solara.Select("journey", values=list(JOURNEYS), value=s.journey,
                  on_value=lambda v: _change(journey=v, scenario="baseline", quality=()))
    solara.Select("scenario", values=scenarios_for(s.journey), value=s.scenario,
                  on_value=lambda v: _change(scenario=v))
    solara.SliderInt(f"customers: {s.customers:,} (0.7 prospects each)", value=s.customers,
                     min=1000, max=50_000, step=1000, on_value=lambda v: _change(customers=v))
    _heading("A touchpoint's quality (0-10 on each pillar)")
    solara.Select("touchpoint", values=tps, value=chosen.value, on_value=chosen.set)
    current = {(tp, p): v for tp, p, v in s.quality}
    quality = journey_cfg["touchpoints"][chosen.value]["quality"]
    for pillar in PILLARS:
        value = current.get((chosen.value, pillar), quality[pillar])
        solara.SliderFloat(
            f"{pillar.replace('_', ' ')}: {value:.1f}", value=value, min=0.0, max=10.0, step=0.1,
            on_value=lambda v, p=pillar: _change(
                quality=settings.value.with_quality(chosen.value, p, v).quality))
    _heading("Word of mouth")
    wom = journey_cfg["_word_of_mouth"]
    solara.Select("preset", values=list(WORD_OF_MOUTH), value=s.word_of_mouth,
                  on_value=lambda v: _change(word_of_mouth=v, positive_contacts=None,
                                             negative_contacts=None))
    solara.SliderInt(f"k+: a delighted customer tells {wom['positive_contacts']}",
                     value=wom["positive_contacts"],
                     min=0, max=20, on_value=lambda v: _change(positive_contacts=v))
    solara.SliderInt(f"k-: a pained customer tells {wom['negative_contacts']}",
                     value=wom["negative_contacts"],
                     min=0, max=20, on_value=lambda v: _change(negative_contacts=v))
    _heading("Money and operations")
    solara.SliderFloat(f"support staffing: {s.staffing_multiplier:.2f} x the plan",
                       value=s.staffing_multiplier, min=0.3,
                       max=2.0, step=0.05, on_value=lambda v: _change(staffing_multiplier=v))
    solara.SliderFloat(f"price change: {100 * s.price_change:+.0f}%",
                       value=100 * s.price_change, min=-30, max=30, step=1,
                       on_value=lambda v: _change(price_change=v / 100))
    solara.SliderFloat(f"advertising: Bass p {journey_cfg['_ad_rate']:.4f} a day",
                       value=1000 * journey_cfg["_ad_rate"], min=0.0, max=5.0, step=0.1,
                       on_value=lambda v: _change(ad_rate_per_day=v / 1000))
    solara.Select("memory rule", values=list(MEMORY_RULES), value=s.memory_rule,
                  on_value=lambda v: _change(memory_rule=v))
    solara.Checkbox(label="compare with baseline (same seed, same random numbers)",
                    value=s.compare, on_value=lambda v: _change(compare=v))


@solara.component
def Page() -> None:
    s = settings.value
    cfg = solara.use_memo(lambda: _config_or_error(s), [s])
    if cfg is None:
        solara.Error(error.value)
        solara.Button("Back to the defaults", on_click=lambda: _change_all(Settings()))
        return
    Dashboard(s, cfg)


@solara.component
def Dashboard(s: Settings, cfg: dict[str, Any]) -> None:
    session = solara.use_memo(lambda: Session(s), [s, generation.value])

    async def play() -> None:
        # on the server's event loop: each frame is simulated, drawn and sent before the next
        while playing.value and not session.finished:
            try:
                session.step(days_per_frame.value)
            except Exception as exc:  # shown in the page; the server stays up
                error.value = f"error in day {session.day}: {exc}"
                break
            frame.value += 1
            await asyncio.sleep(0.05)
        playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value, session], prefer_threaded=False)

    def step() -> None:
        session.step(days_per_frame.value)
        frame.value += 1

    def reset() -> None:
        playing.value = False
        generation.value += 1

    solara.Title("cxsim dashboard")
    with solara.Sidebar():
        Controls(s, cfg)
    with solara.Column():
        with solara.Row():
            solara.Button("Reset", on_click=reset, color="primary")
            solara.Button("Step", on_click=step, color="primary",
                          disabled=playing.value or session.finished)
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=session.finished)
            solara.SliderInt(f"days per step: {days_per_frame.value}", value=days_per_frame,
                             min=1, max=30)
        solara.Text(
            f"day {session.day} of {session.model.days} | {s.journey} journey, "
            f"{session.model.n_people:,} people | last step {1000 * session.step_seconds:.0f} ms",
            classes=["cx-status"])
        if error.value:
            solara.Error(error.value)
        _ = frame.value  # redraw on every frame
        with solara.GridFixed(columns=2):
            for name, option in session.charts().items():
                with solara.Div(classes=[f"cx-plot-{name}"]):
                    solara.FigureEcharts(option, attributes={"style": "height: 320px;"})
            with solara.Div(classes=["cx-plot-journey_map"]):
                JourneyMap(session, session.day // JOURNEY_MAP_EVERY
                           if playing.value else session.day)


@solara.component
def JourneyMap(session: Session, stamp: int) -> None:
    """The journey map (matplotlib), redrawn every few days while playing: it costs most."""
    fig = solara.use_memo(session.journey_map_figure, [session, stamp])
    solara.FigureMatplotlib(fig, format="png", dpi=80)


def _change_all(s: Settings) -> None:
    playing.value = False
    error.value = ""
    settings.value = s


def _config_or_error(s: Settings) -> dict[str, Any] | None:
    """The journey's config (with the word of mouth in force), or None with the error set."""
    try:
        cfg = load_config(settings_overrides(s))
    except ConfigError as exc:
        error.value = str(exc)
        return None
    error.value = ""
    journey = dict(cfg["journey"])
    journey["_word_of_mouth"] = cfg["word_of_mouth"]
    journey["_ad_rate"] = cfg["acquisition"]["ad_rate_per_day"]
    return journey


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the dashboard with Solara's server, offline (assets from solara-assets)."""
    parser = argparse.ArgumentParser(
        prog="cxsim-dashboard",
        description="The cxsim model in the browser: sliders, Step / Play / Reset, live plots.")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--journey", choices=JOURNEYS, default="retail")
    parser.add_argument("--customers", type=int, default=10_000,
                        help="customers on day 0, with 0.7 prospects each (1,000 to 50,000)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-open", action="store_true", help="do not open a browser")
    args = parser.parse_args(argv)
    try:
        load_config(base_overrides(Settings(args.journey, customers=args.customers,
                                            days=args.days, seed=args.seed)))
    except ConfigError as exc:
        parser.exit(2, f"cxsim-dashboard: error: {exc}\n")
    # solara-assets installs the page's scripts into the cache of Solara's CDN proxy, so the
    # proxy (on by default) serves them without the network; no usage statistics either
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "CXSIM_DASHBOARD_JOURNEY": args.journey,
           "CXSIM_DASHBOARD_CUSTOMERS": str(args.customers),
           "CXSIM_DASHBOARD_DAYS": str(args.days), "CXSIM_DASHBOARD_SEED": str(args.seed)}
    cmd = [sys.executable, "-m", "solara", "run", "sim.app.dashboard",
           "--host", args.host, "--port", str(args.port), "--production"]
    if args.no_open:
        cmd.append("--no-open")
    os.execve(sys.executable, cmd, env)
