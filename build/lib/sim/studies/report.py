"""What a comparison tells a strategist: a plain-language summary, a one-page report, figures."""

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.analysis.kpis import KPIS
from sim.analysis.plots import Figure, save_figure

if TYPE_CHECKING:
    from sim.studies.compare import Comparison


def _money(x: float) -> str:
    return f"{x:+,.0f}".replace("-", "\u2212")


def _plain(x: float) -> str:
    return f"{x:,.0f}"


def _fmt(kpi: str, x: float, unit: bool = True) -> str:
    """A difference of one KPI, in the unit a strategist reads it in."""
    if not np.isfinite(x):
        return "n/a"
    if kpi in ("retention", "new_retention"):
        return f"{100 * x:+.1f}{' points' if unit else ''}".replace("-", "\u2212")
    if kpi in ("revenue", "profit"):
        return _money(x)
    if kpi == "roi":
        return f"{100 * x:+.0f}%".replace("-", "\u2212")
    if kpi == "clv":
        return f"{x:+,.2f}".replace("-", "\u2212")
    return f"{x:+.1f}".replace("-", "\u2212")


def _clear(low: float, high: float) -> bool:
    """The interval excludes zero: a change the runs can tell apart from no change."""
    return bool(np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0))


def _title(name: str) -> str:
    return _sentence(name.replace("_", " "))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def summary_text(cmp: "Comparison") -> str:
    """Markdown: per scenario its cost, each KPI's difference with its interval, and a verdict."""
    first = cmp.about.get(cmp.baseline, {})
    days, runs = first.get("days"), int(cmp.differences.runs.max()) if len(cmp.differences) else 0
    method = (
        f"{runs} paired runs each (common random numbers)"
        if cmp.paired
        else f"{runs} runs each (independent random numbers)"
    )
    horizon = f"{days} days" if days else "the run"
    scale = (
        f", {first['customers']:,} customers, {first['journey']} journey"
        if "customers" in first
        else ""
    )
    lines = [
        f"# What-if comparison against the {cmp.baseline}",
        "",
        f"Over {horizon}{scale}; {method}; 95% intervals in brackets.",
    ]
    for name in cmp.scenarios:
        about = cmp.about.get(name, {})
        lines += ["", f"## {_title(name)} (`{name}`)", ""]
        if about.get("description"):
            lines += [f"{_sentence(about['description'])}.", ""]
        extra_cost = about.get("total_cost", 0.0) - first.get("total_cost", 0.0)
        if not about.get("cost_stated", True):
            extra_cost = 0.0  # no ROI of an unknown cost
            lines.append(
                "Cost not stated: profit below leaves out whatever this change would cost, "
                "and there is no ROI (state it with --cost-per-day and --one-off)."
            )
        elif about.get("total_cost", 0.0) == 0:
            lines.append("No direct cost: any saving or loss shows in profit.")
        elif "cost_per_day" in about:
            lines.append(
                f"Cost: {_plain(about['cost_per_day'])} a day and {_plain(about['one_off_cost'])}"
                f" up front, {_plain(about['total_cost'])} over {horizon}."
            )
        else:
            lines.append(f"Cost: {_plain(about.get('total_cost', 0.0))} over {horizon}.")
        lines.append("")
        for kpi in KPIS:
            diff, low, high = cmp.difference(name, kpi)
            label = kpi_label(kpi, days)
            if diff == low == high == 0:
                note = ": no change"
            else:
                note = "" if _clear(low, high) else ": no clear change"
            lines.append(
                f"- {label}: {_fmt(kpi, diff)} ({_fmt(kpi, low, False)} to "
                f"{_fmt(kpi, high, False)}){note}"
            )
        lines += cmp.service_lines(name)
        selection = _selection_note(cmp, name)
        if selection:
            lines += ["", selection]
        verdict = _verdict(cmp, name, extra_cost, horizon, runs)
        if not about.get("cost_stated", True):
            verdict = verdict.replace(" at no extra cost", "").replace(
                "(no ROI: no investment)", "(no ROI: cost not stated)")
        lines += ["", verdict]
    if cmp.provenance:
        lines += ["", "## Provenance", "", *(f"- {k}: {v}" for k, v in _stamp_rows(cmp))]
    return "\n".join(lines) + "\n"



def kpi_label(kpi: str, days: int | None) -> str:
    """A KPI's name as a strategist reads it, for a run of `days` days."""
    year = (days or 365) >= 365
    return {
        "retention": "12-month customer retention" if year else f"{days}-day customer retention",
        "new_retention": "new customers' "
        + ("180-day" if year else f"{max(1, (days or 2) // 2)}-day") + " retention",
        "revenue": "revenue",
        "profit": "profit after the scenario's costs",
        "nps": "NPS of current customers",
        "nps_ever": "NPS of everybody who was a customer",
        "clv": "CLV per customer",
    }[kpi]


def _selection_note(cmp: "Comparison", name: str) -> str:
    """Say so when who stays, not how people feel, drives the current customers' NPS.

    The NPS of current customers counts only those who stayed; the NPS of everybody who
    was a customer counts the leavers too. When the two disagree, a selection effect is at
    work, and a strategist should read the second.
    """
    now, now_low, now_high = cmp.difference(name, "nps")
    ever, ever_low, ever_high = cmp.difference(name, "nps_ever")
    kept = cmp.difference(name, "retention")[0]
    if _clear(now_low, now_high) and now < 0 and kept > 0 and ever > now_high:
        return (
            f"*Selection effect*: NPS of current customers falls ({_fmt('nps', now)}) because "
            f"customers who would have left now stay, unhappy ones among them; among everybody "
            f"who was a customer it changes by {_fmt('nps', ever)} ({_fmt('nps', ever_low, False)}"
            f" to {_fmt('nps', ever_high, False)}), the figure to judge experience by."
        )
    if _clear(ever_low, ever_high) and ever < 0 and kept < 0 and now > ever_high:
        return (
            f"*Selection effect*: NPS of current customers changes by only {_fmt('nps', now)} "
            f"because the customers it upsets leave and drop out of it; among everybody who was "
            f"a customer it falls by {_fmt('nps', ever)} ({_fmt('nps', ever_low, False)} to "
            f"{_fmt('nps', ever_high, False)})."
        )
    return ""


def _stamp_rows(cmp: "Comparison") -> list[tuple[str, str]]:
    p = cmp.provenance
    rows = [("package", f"{p.get('package', 'cxsim')} {p.get('version', '?')}"),
            ("source digest", str(p.get("code", "?"))[:16])]
    if "overrides" in p:
        rows.append(("overrides (every run)", " ".join(p["overrides"]) or "none"))
    for name, items in (p.get("scenarios") or {}).items():
        rows.append((f"scenario {name}", " ".join(items) or "the default config"))
    if "sweep" in p:
        rows.append(("sweep", p["sweep"]))
    rows.append(("seed", str(p.get("seed", "?"))))
    reps = p.get("replications") or []
    rows.append(("replications", f"{len(reps)} ({reps[0]}..{reps[-1]})" if reps else "?"))
    return rows


UNITS = {"retention": "% of the customers at the start", "new_retention": "% of new customers",
         "revenue": "{c}", "profit": "{c}", "nps": "points (-100 to 100)",
         "nps_ever": "points (-100 to 100)", "clv": "{c} per customer"}


def _level(kpi: str, x: float) -> str:
    if kpi in ("retention", "new_retention"):
        return f"{100 * x:.1f}%"
    if kpi in ("nps", "nps_ever"):
        return f"{x:+.1f}"
    if kpi == "clv":
        return f"{x:,.2f}"
    return f"{x:,.0f}"


def break_even_day(cmp: "Comparison", name: str) -> tuple[int | None, int | None]:
    """(day from which the mean cumulative profit difference stays >= 0, day from which its
    95% interval stays above 0); None when that does not happen within the run."""
    part = cmp.over_time[(cmp.over_time.scenario == name)
                         & (cmp.over_time.series == "cumulative_profit")]
    if part.empty:
        return None, None

    def first_from(ok: np.ndarray) -> int | None:
        if not ok[-1]:
            return None
        bad = np.flatnonzero(~ok)
        return int(part.day.iloc[bad[-1] + 1]) if len(bad) else int(part.day.iloc[0])

    return first_from(part.difference.to_numpy() >= 0), first_from(part.ci_low.to_numpy() > 0)


def report_html(cmp: "Comparison") -> str:
    """One self-contained page for a board (prints to PDF): levels, effects, break-even, plot."""
    first = cmp.about.get(cmp.baseline, {})
    currency = first.get("currency") or "currency units"
    days = first.get("days")
    runs = int(cmp.differences.runs.max()) if len(cmp.differences) else 0
    esc = html.escape
    labels = {kpi: kpi_label(kpi, days) for kpi in KPIS}
    base_rows = []
    for kpi in KPIS:
        row = cmp.differences[cmp.differences.kpi == kpi]
        level = float(row.baseline_mean.iloc[0]) if len(row) else float("nan")
        base_rows.append(f"<tr><td>{labels[kpi]}</td><td class=n>{_level(kpi, level)}</td>"
                         f"<td>{UNITS[kpi].format(c=esc(currency))}</td></tr>")
    sections = []
    for name in cmp.scenarios:
        about = cmp.about.get(name, {})
        rows = []
        for kpi in KPIS:
            d, low, high = cmp.difference(name, kpi)
            clear = "yes" if _clear(low, high) else "no"
            rows.append(f"<tr><td>{labels[kpi]}</td><td class=n>{_fmt(kpi, d)}</td>"
                        f"<td class=n>{_fmt(kpi, low, False)} to {_fmt(kpi, high, False)}</td>"
                        f"<td>{clear}</td></tr>")
        if not about.get("cost_stated", True):
            cost = "Cost not stated: no ROI, and profit leaves out what the change would cost."
        else:
            cost = (f"Cost: {_plain(about.get('cost_per_day', 0.0))} {esc(currency)} a day and "
                    f"{_plain(about.get('one_off_cost', 0.0))} up front, "
                    f"{_plain(about.get('total_cost', 0.0))} over {days} days.")
        mean_day, sure_day = break_even_day(cmp, name)
        if mean_day is None:
            even = f"It does not break even within {days} days."
        else:
            even = f"Break-even: cumulative profit is ahead of the baseline from day {mean_day}"
            even += (f", clearly (the whole 95% interval) from day {sure_day}."
                     if sure_day is not None else ", though not clearly by the end of the run.")
        verdict = summary_text_verdict(cmp, name)
        sections.append(
            f"<h2>{esc(_title(name))}</h2><p>{esc(_sentence(str(about.get('description', ''))))}"
            f"</p><p>{cost}</p><table><tr><th>effect on</th><th>difference</th>"
            f"<th>95% interval</th><th>clear?</th></tr>{''.join(rows)}</table>"
            f"<p>{esc(even)}</p><p class=verdict>{verdict}</p>")
    fig = over_time_figure(cmp) if len(cmp.over_time) else None
    image = ""
    if fig is not None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        data = base64.b64encode(buf.getvalue()).decode()
        image = (f"<h2>Cumulative profit over time</h2><img alt='difference from the baseline "
                 f"over time' src='data:image/png;base64,{data}'>")
    stamp = "".join(f"<tr><td>{esc(k)}</td><td><code>{esc(v)}</code></td></tr>"
                    for k, v in _stamp_rows(cmp)) if cmp.provenance else ""
    method = ("paired runs: each scenario run shares its random numbers with a baseline run"
              if cmp.paired else "independent runs")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What-if comparison</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
img {{ max-width: 100%; }} .verdict {{ font-weight: 600; }} .small {{ color: #555; }}
@media print {{ body {{ margin: 0; max-width: none; }} h2 {{ break-after: avoid; }} }}
</style></head><body>
<h1>What-if comparison against the {esc(cmp.baseline)}</h1>
<p>Over {days} days, {first.get('customers', 0):,} customers, {esc(str(first.get('journey')))}
journey; {runs} {method}. Money in {esc(currency)}.</p>
<h2>The baseline</h2><table><tr><th>figure</th><th>level</th><th>unit</th></tr>
{''.join(base_rows)}</table>
{''.join(sections)}
{image}
<p class=small>What the intervals cover: the 95% interval is Student's t over the {runs}
{'paired differences' if cmp.paired else 'runs of each side (Welch)'}; it measures the
model's randomness (who buys, talks, calls and leaves), not the uncertainty in the
model's own parameters or in the costs stated. "Clear" means the interval excludes zero.</p>
<h2>Provenance</h2><table>{stamp}</table>
</body></html>
"""


def summary_text_verdict(cmp: "Comparison", name: str) -> str:
    """The verdict sentence of a scenario, as in summary.md, without Markdown."""
    text = summary_text(cmp)
    part = text.split(f"(`{name}`)", 1)[1].split("\n## ", 1)[0]
    last = [line for line in part.strip().splitlines() if line.startswith("**")]
    return html.escape(last[-1].replace("**", "")) if last else ""


def _verdict(cmp: "Comparison", name: str, extra_cost: float, horizon: str, runs: int) -> str:
    diffs = [cmp.difference(name, k) for k in KPIS]
    if all(d == low == high == 0 for d, low, high in diffs):
        return (
            "**It changes nothing**: every difference is exactly zero, as it must be for a "
            "scenario that changes nothing when the runs share their random numbers."
        )
    profit, p_low, p_high = cmp.difference(name, "profit")
    clv = cmp.difference(name, "clv")
    later = ""
    if _clear(clv[1], clv[2]):
        later = (
            " Its CLV gain says customers are worth more for longer: a longer run (days=730) "
            "would show more of the return."
            if clv[0] > 0
            else " But CLV falls: the customers it loses are worth more than this horizon "
            "shows, and a longer run (days=730) would show that cost."
        )
    if extra_cost > 0:
        roi, low, high = cmp.difference(name, "roi")
        if low > 0:
            return (
                f"**It pays back within {horizon}**: ROI {_fmt('roi', roi)} ({_fmt('roi', low)} "
                f"to {_fmt('roi', high)}); each 1 spent returns {1 + roi:.2f}."
            )
        if high < 0:
            return (
                f"**It does not pay back within {horizon}**: ROI {_fmt('roi', roi)} "
                f"({_fmt('roi', low)} to {_fmt('roi', high)}); profit changes by "
                f"{_money(profit)} after its costs.{later}"
            )
        return (
            f"**Whether it pays back within {horizon} is unclear**: the ROI interval "
            f"({_fmt('roi', low)} to {_fmt('roi', high)}) spans zero; more replications "
            f"(now {runs}) would narrow it.{later}"
        )
    if _clear(p_low, p_high):
        way = "raises" if profit > 0 else "lowers"
        saving = " and it saves money" if extra_cost < 0 else " at no extra cost"
        return (
            f"**It {way} profit by {_plain(abs(profit))}**{saving} (no ROI: no investment).{later}"
        )
    return (
        f"**No clear effect on profit** (no ROI: no investment); more replications (now {runs}) "
        f"would narrow the interval.{later}"
    )


def comparison_figures(cmp: "Comparison", folder: str | Path | None = None) -> dict[str, Figure]:
    """The differences with their intervals, and the differences over time with 95% bands."""
    figures = {"comparison": differences_figure(cmp)}
    if not cmp.over_time.empty:
        figures["comparison_over_time"] = over_time_figure(cmp)
    if folder is not None:
        for name, fig in figures.items():
            save_figure(fig, Path(folder) / "plots" / f"{name}.png")
    return figures


def _colours(n: int) -> list:
    cmap = mpl.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _tick(x: float, _pos: int) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


def differences_figure(cmp: "Comparison") -> Figure:
    kpis = [*KPIS, "roi"]
    rows = -(-len(kpis) // 3)
    fig = Figure(figsize=(12, 0.6 + 0.5 * max(3, len(cmp.scenarios)) * rows), layout="constrained")
    axes = fig.subplots(rows, 3).ravel()
    for ax in axes[len(kpis):]:
        ax.set_axis_off()
    names = cmp.scenarios
    y = np.arange(len(names))[::-1]
    scale = {"retention": 100.0, "new_retention": 100.0, "roi": 100.0}
    unit = {"retention": " (points)", "new_retention": " (points)", "roi": " (%)"}
    for i, (ax, kpi) in enumerate(zip(axes, kpis, strict=False)):
        rows = [cmp.difference(n, kpi) for n in names]
        k = scale.get(kpi, 1.0)
        mid = np.array([r[0] for r in rows]) * k
        low = np.array([r[1] for r in rows]) * k
        high = np.array([r[2] for r in rows]) * k
        err = np.vstack([mid - low, high - mid])
        ax.axvline(0.0, color="grey", lw=1)
        ax.errorbar(mid, y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=4)
        ax.scatter(mid, y, c=_colours(len(names)), zorder=3, s=40)
        ax.set_yticks(y, [_title(n) for n in names] if i % 3 == 0 else [""] * len(y))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_formatter(FuncFormatter(_tick))
        label = {
            "profit": "profit after costs",
            "new_retention": "new customers' retention",
            "nps": "NPS (current customers)",
            "nps_ever": "NPS (all who were customers)",
            "roi": "ROI",
            "clv": "CLV",
        }.get(kpi, kpi)
        ax.set_title(f"{label}{unit.get(kpi, '')}")
        ax.grid(axis="x", alpha=0.3)
    how = "paired runs, common random numbers" if cmp.paired else "independent runs"
    runs = int(cmp.differences.runs.max())
    fig.suptitle(f"Difference from the {cmp.baseline}, 95% intervals ({runs} {how})")
    return fig


def over_time_figure(cmp: "Comparison") -> Figure:
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    axes = fig.subplots(1, 2)
    titles = {"cumulative_profit": "cumulative profit after costs", "active": "active customers"}
    for ax, series in zip(axes, titles, strict=True):
        ax.axhline(0.0, color="grey", lw=1)
        for colour, name in zip(_colours(len(cmp.scenarios)), cmp.scenarios, strict=True):
            part = cmp.over_time[
                (cmp.over_time.scenario == name) & (cmp.over_time.series == series)
            ]
            ax.plot(part.day, part.difference, color=colour, lw=2, label=_title(name))
            ax.fill_between(part.day, part.ci_low, part.ci_high, color=colour, alpha=0.25, lw=0)
        ax.set_title(f"difference in {titles[series]}")
        ax.set_xlabel("day")
        ax.yaxis.set_major_formatter(FuncFormatter(_tick))
        ax.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle(f"Difference from the {cmp.baseline} over time, mean and 95% band")
    return fig
