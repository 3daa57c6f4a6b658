"""The standard figures of a run: retention, money, NPS and attitude, and the journey map."""

import io
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import networkx as nx
import numpy as np
from matplotlib import figure

from sim.files import write_atomic

if TYPE_CHECKING:
    from sim.analysis.results import Result

PAIN, LOVE = "#c0392b", "#27ae60"


class Figure(figure.Figure):
    """A matplotlib figure that Jupyter shows as a picture, whatever the backend."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100)
        return buf.getvalue()


class Figures(dict):
    """Figures by name; Jupyter shows every one of them inline (as `sim.plot()` does in Covasim)."""

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for fig in self.values():
            display(fig)


def standard_figures(result: "Result", folder: str | Path | None = None) -> Figures:
    """Build every standard figure; with a folder, write each to folder/plots/NAME.png."""
    figures = Figures({
        "retention": retention_figure(result),
        "money": money_figure(result),
        "nps_attitude": nps_attitude_figure(result),
        "journey_map": journey_map_figure(result),
        "word_of_mouth": word_of_mouth_figure(result),
    })
    if len(result.network_sample):
        figures["network"] = network_figure(result)
    if result.daily.service_calls.sum() > 0:
        figures["service_centre"] = service_centre_figure(result)
    if folder is not None:
        for name, fig in figures.items():
            save_figure(fig, Path(folder) / "plots" / f"{name}.png")
    return figures


def save_figure(fig: Figure, path: Path) -> Path:
    return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def _title(result: "Result") -> str:
    s = result.summary
    return f"{s['journey']} journey, {s['people']:,} people, seed {s['seed']}"


MIN_COHORT = 50  # people: a cohort's line stops where fewer have been in that long


def retention_figure(result: "Result") -> Figure:
    """Retention of the day-0 base and of quarterly cohorts of new customers."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    cohorts = result.cohorts.copy()
    months_per_group = 3
    cohorts["group"] = np.where(cohorts.cohort == 0, 0,
                                (cohorts.cohort - 1) // months_per_group + 1)
    grouped = cohorts.groupby(["group", "age_days"], as_index=False)[["active", "size"]].sum()
    colours = mpl.colormaps["tab10"].colors
    for g, part in grouped.groupby("group"):
        # ages that fewer than half the group (or MIN_COHORT people) reached are too noisy
        part = part[part["size"] >= max(MIN_COHORT, 0.5 * part["size"].max())]
        if part.empty:
            continue
        share = 100 * part.active / part["size"]
        if g == 0:
            ax.plot(part.age_days, share, color="black", lw=2.5,
                    label=f"day-0 base ({part['size'].max():,})")
        else:
            first = (g - 1) * months_per_group * 30
            ax.plot(part.age_days, share, lw=1.6, color=colours[(g - 1) % len(colours)],
                    label=f"joined days {first}-{first + months_per_group * 30 - 1} "
                    f"({part['size'].max():,})")
    ax.set_xlabel(f"days since joining (drawn while at least half the cohort, and "
                  f"{MIN_COHORT}+ people, have been in that long)")
    ax.set_ylabel("share of cohort still active (%)")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    ax.legend(title="cohort (size)", fontsize=8, title_fontsize=8, loc="lower left")
    ax.set_title(f"Retention by quarterly cohort: {_title(result)}", fontsize=10)
    return fig


def money_figure(result: "Result") -> Figure:
    d = result.daily
    fig = Figure(figsize=(8, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    week = 7
    top.plot(d.day, d.revenue.rolling(week, min_periods=1).mean(), label="revenue")
    top.plot(d.day, d.profit.rolling(week, min_periods=1).mean(), label="profit")
    costs = d.cost_service + d.cost_acquisition + d.cost_cx_investment
    top.plot(d.day, costs.rolling(week, min_periods=1).mean(), label="costs (serve + acquire + CX)")
    top.axhline(0, color="grey", lw=0.8)
    currency = result.config["money"].get("currency") or "currency units"
    top.set_ylabel(f"{currency} per day (7-day mean)")
    top.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    s = result.summary
    top.set_title(
        f"Revenue and profit: total revenue {s['revenue']:,.0f}, profit {s['profit']:,.0f} "
        f"({currency})"
        f"\n{_title(result)}",
        fontsize=10,
    )
    bottom.plot(d.day, d.active, color="black", label="active customers")
    bottom.plot(d.day, d.new.cumsum(), color=LOVE, label="acquired (cumulative)")
    bottom.plot(d.day, d.churned.cumsum(), color=PAIN, label="churned (cumulative)")
    bottom.set_xlabel("day")
    bottom.set_ylabel("customers")
    bottom.set_ylim(bottom=0)
    bottom.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    return fig


def nps_attitude_figure(result: "Result") -> Figure:
    d = result.daily
    fig = Figure(figsize=(8, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(d.day, d.nps, color="black", label="true NPS (every active customer)")
    top.plot(
        d.day,
        d.survey_nps_30d,
        color="tab:orange",
        alpha=0.8,
        label="survey NPS (responses of the last 30 days)",
    )
    top.axhline(0, color="grey", lw=0.8)
    top.set_ylabel("NPS (points, -100 to 100)")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    top.set_title(f"NPS and attitude: {_title(result)}", fontsize=10)
    bottom.plot(d.day, d.mean_attitude, color="tab:blue", label="mean attitude")
    bottom.axhline(0, color="grey", lw=0.8)
    bottom.set_ylabel("attitude (felt value, 0 = neutral)")
    bottom.set_xlabel("day")
    right = bottom.twinx()
    right.plot(d.day, d.mean_expectation, color="tab:purple", ls="--", label="mean expectation")
    right.set_ylabel("expectation (0-10)")
    right.set_ylim(0, 10)  # the whole scale: a drift of 0.03 must not look like a collapse
    lines = bottom.get_lines()[:1] + right.get_lines()
    bottom.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="lower left")
    bottom.grid(alpha=0.3)
    return fig


def journey_graph(journey) -> nx.DiGraph:
    """The journey as a graph with `end`: edges carry their probability `p`; dashed `repeat`
    edges from `end` to where the next episode begins close the loop of repeat visits.
    Each node's `layer` is its distance from the first episode's start (`end` last). With a
    `support` touchpoint, `problem` edges lead there from every other touchpoint (a visit
    that goes wrong), and support stands in the last column before `end`."""
    j = journey
    g = nx.DiGraph()
    g.add_nodes_from([*j.names, "end"])
    trans = j.transition  # last column: end
    for a, name in enumerate(j.names):
        for b, other in enumerate([*j.names, "end"]):
            if trans[a, b] > 0:
                g.add_edge(name, other, p=float(trans[a, b]), repeat=False)
    starts = [n for n, p in zip(j.names, np.diff(j.start_cum, prepend=0.0), strict=True) if p > 0]
    depth = dict(nx.multi_source_dijkstra_path_length(g, starts)) if starts else {}
    repeat = np.diff(j.repeat_start_cum, prepend=0.0)
    for name, p in zip(j.names, repeat, strict=True):
        if p > 0:
            g.add_edge("end", name, p=float(p), repeat=True)
    depth.pop("end", None)
    for n in g.nodes:
        depth.setdefault(n, 0)
    if j.support >= 0:
        support = j.names[j.support]
        depth[support] = max(d for n, d in depth.items() if n != support)
        for name in j.names:
            if name != support and not g.has_edge(name, support):
                g.add_edge(name, support, p=1.0, repeat=False, problem=True)
    depth["end"] = max(depth.values()) + 1
    nx.set_node_attributes(g, depth, "layer")
    return g


def draw_journey(ax, g: nx.DiGraph, size: dict, colour: dict, labels: dict,
                 font_size: float = 8, edge_labels: bool = True) -> None:
    """Draw a journey graph: nodes inside the frame, `end` in white, repeat loops dashed."""
    nodes = list(g.nodes)
    layers: dict[int, list] = {}
    for n in nodes:  # each layer's nodes in the journey's order: the same picture every run
        layers.setdefault(g.nodes[n]["layer"], []).append(n)
    pos = nx.multipartite_layout(g, subset_key=dict(sorted(layers.items())))
    problems = [(a, b) for a, b, x in g.edges(data="problem") if x]
    forward = [(a, b) for a, b, r in g.edges(data="repeat") if not r and (a, b) not in problems]
    loops = [(a, b) for a, b, r in g.edges(data="repeat") if r]
    sizes = [size[n] for n in nodes]
    nx.draw_networkx_edges(g, pos, edgelist=forward, ax=ax, alpha=0.45, arrowsize=12,
                           nodelist=nodes, node_size=sizes, connectionstyle="arc3,rad=0.08")
    nx.draw_networkx_edges(g, pos, edgelist=problems, ax=ax, alpha=0.3, arrowsize=8, style=":",
                           nodelist=nodes, node_size=sizes, connectionstyle="arc3,rad=0.15",
                           edge_color="tab:red")
    nx.draw_networkx_edges(g, pos, edgelist=loops, ax=ax, alpha=0.35, arrowsize=10, style="--",
                           nodelist=nodes, node_size=sizes, connectionstyle="arc3,rad=-0.35",
                           edge_color="tab:blue")
    if edge_labels:
        nx.draw_networkx_edge_labels(
            g, pos, ax=ax, font_size=font_size - 1, label_pos=0.3, rotate=False,
            connectionstyle="arc3,rad=0.08",
            edge_labels={(a, b): f"{p:.0%}" for a, b, p in g.edges(data="p")
                         if p < 1 and (a, b) in forward},
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9})
    nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=nodes, node_size=sizes,
                           node_color=[colour[n] for n in nodes], edgecolors="black",
                           linewidths=0.8)
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=font_size, labels=labels)
    xs, ys = zip(*pos.values(), strict=True)
    pad_x = 0.18 * max(1e-9, max(xs) - min(xs)) or 0.5
    pad_y = 0.25 * max(1e-9, max(ys) - min(ys)) or 0.5
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)  # every node inside the frame
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.axis("off")


def journey_map_figure(result: "Result") -> Figure:
    from sim.mechanisms.journey import Journey

    jm = result.journey_map
    g = journey_graph(Journey.from_config(result.config["journey"]))
    fig = Figure(figsize=(11, 8), layout="constrained")
    ax_map, ax_bar = fig.subplots(2, 1, height_ratios=(3, 2))
    visits = jm.set_index("touchpoint").visits
    felt = jm.set_index("touchpoint").mean_felt_value.fillna(0.0)
    lim = max(0.5, float(np.abs(felt).max()))
    norm = mpl.colors.TwoSlopeNorm(vmin=-lim, vcenter=0.0, vmax=lim)
    cmap = mpl.colormaps["RdYlGn"]
    size = {n: 400 + 2600 * np.sqrt(v / max(1, visits.max())) for n, v in visits.items()}
    colour = {n: cmap(norm(f)) for n, f in felt.items()}
    labels = {n: f"{n}\n{visits[n]:,}" for n in visits.index}
    size["end"], colour["end"] = 700, "white"
    labels["end"] = "end"
    draw_journey(ax_map, g, size, colour, labels)
    ax_map.set_title(
        "Journey map: node size = visits, colour = mean felt value; at 'end' the episode is "
        f"remembered (peak-end),\ndashed: where the next episode begins; red dotted: a visit that"
        f" goes wrong sends the customer to support.\n{_title(result)}",
        fontsize=10)
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax_map, shrink=0.7, label="mean felt value (pain < 0 < love)")

    x = np.arange(len(jm))
    ax_bar.bar(x - 0.2, 100 * jm.delight_share, width=0.4, color=LOVE, label="delighted visits (%)")
    ax_bar.bar(x + 0.2, 100 * jm.pain_share, width=0.4, color=PAIN, label="pained visits (%)")
    ax_bar.set_xticks(x, jm.touchpoint, rotation=20, fontsize=8)
    ax_bar.set_ylabel("share of visits (%)")
    ax_bar.set_ylim(0, 100)
    ax_bar.grid(alpha=0.3, axis="y")
    right = ax_bar.twinx()
    right.plot(x, jm.churn_attributed, "kD", label="churners whose worst moment was here")
    right.set_ylabel("churned customers")
    right.set_ylim(0, 1.15 * max(1, jm.churn_attributed.max()))
    handles = ax_bar.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax_bar.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper left",
                  ncol=3, bbox_to_anchor=(0, -0.18), frameon=False)
    ax_bar.set_title("Love and pain points", fontsize=10)
    return fig


def word_of_mouth_figure(result: "Result") -> Figure:
    d = result.daily
    week = 7
    fig = Figure(figsize=(8, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    wom = result.config["word_of_mouth"]
    top.plot(d.day, d.wom_positive.rolling(week, min_periods=1).mean(), color=LOVE,
             label=f"positive messages (delighted tell {wom['positive_contacts']})")
    top.plot(d.day, d.wom_negative.rolling(week, min_periods=1).mean(), color=PAIN,
             label=f"negative messages (pained tell {wom['negative_contacts']})")
    top.plot(d.day, d.wom_reached.rolling(week, min_periods=1).mean(), color="grey", ls="--",
             label="people who heard something")
    top.set_ylabel("per day (7-day mean)")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    top.set_title(f"Word of mouth ({wom.get('name') or 'custom'} rule) and reviews: "
                  f"{_title(result)}", fontsize=10)
    ads = d.new - d.referrals
    bottom.plot(d.day, d.referrals.rolling(week, min_periods=1).mean(), color=LOVE,
                label="new customers by word of mouth")
    bottom.plot(d.day, ads.rolling(week, min_periods=1).mean(), color="tab:blue",
                label="new customers by advertising")
    bottom.set_ylabel("new customers per day (7-day mean)")
    bottom.set_xlabel("day")
    bottom.grid(alpha=0.3)
    right = bottom.twinx()
    right.plot(d.day, d.review_average, color="black", label="review average (stars)")
    right.set_ylabel("review average (1-5 stars)")
    right.set_ylim(1, 5)
    lines = bottom.get_lines() + right.get_lines()
    bottom.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="upper right")
    return fig


def network_figure(result: "Result", day: int | None = None) -> Figure:
    """A snapshot of the social network around one person (the star), coloured by final
    attitude; with recorded messages (output.record_messages), the word of mouth of one day
    as arrows between these people: `day`, or the day with the most of them."""
    edges = result.network_sample
    g = nx.Graph()
    g.add_edges_from(zip(edges.u.tolist(), edges.v.tolist(), strict=True))
    people = result.customers.set_index("id").loc[list(g.nodes)]
    pos = nx.spring_layout(g, seed=1)
    fig = Figure(figsize=(8, 7), layout="constrained")
    ax = fig.subplots()
    nx.draw_networkx_edges(g, pos, ax=ax, alpha=0.25, width=0.6)
    attitude = people.attitude.to_numpy()
    lim = max(0.5, float(np.quantile(np.abs(attitude), 0.98)))  # a few outliers would wash out
    norm = mpl.colors.TwoSlopeNorm(vmin=-lim, vcenter=0.0, vmax=lim)
    cmap = mpl.colormaps["RdYlGn"]
    for status, marker, label in (("active", "o", "customer"), ("lapsed", "X", "lapsed"),
                                  ("prospect", "s", "prospect")):
        nodes = people.index[people.status == status].tolist()
        if nodes:
            nx.draw_networkx_nodes(
                g, pos, nodelist=nodes, ax=ax, node_shape=marker, node_size=45,
                node_color=[cmap(norm(a)) for a in people.loc[nodes, "attitude"]],
                edgecolors="black", linewidths=0.3, label=f"{label} ({len(nodes)})")
    # the sample is a breadth-first search from the first person with contacts: its lowest id
    centre = min(g.nodes)
    nx.draw_networkx_nodes(g, pos, nodelist=[centre], ax=ax, node_shape="*", node_size=420,
                           node_color=[cmap(norm(people.loc[centre, "attitude"]))],
                           edgecolors="black", linewidths=1.2,
                           label=f"the centre: person {centre}")
    told = _messages_of_a_day(result, set(g.nodes), day)
    if told is not None:
        when, shown, total = told
        for positive, colour, word in ((True, LOVE, "praise"), (False, PAIN, "complaint")):
            part = shown[shown.positive == positive]
            arrows = nx.DiGraph(list(zip(part.sender, part.receiver, strict=True)))
            nx.draw_networkx_edges(arrows, pos, ax=ax, edge_color=colour, width=1.6,
                                   arrows=True, arrowstyle="-|>", arrowsize=12, node_size=45)
            ax.plot([], [], color=colour, lw=1.6, label=f"{word} told on day {when} "
                                                         f"({len(part)})")
        ax.text(0.99, 0.01, f"day {when}: {total:,} messages in the whole market, "
                f"{len(shown)} between these people", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=8, color="dimgrey")
    ax.legend(fontsize=8, loc="lower left", title="shape: status", title_fontsize=8)
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7,
                 label="attitude at the end (pain < 0 < love)")
    kind = result.config["network"]["kind"].replace("_", " ")
    ax.set_title(f"Social network ({kind}): {g.number_of_nodes()} people around one person\n"
                 f"{_title(result)}", fontsize=10)
    ax.axis("off")
    return fig


def _messages_of_a_day(result: "Result", nodes: set, day: int | None):
    """(day, its messages between `nodes`, all its messages), or None without a record."""
    m = result.messages
    if m is None or m.empty:
        return None
    inside = m[m.sender.isin(nodes) & m.receiver.isin(nodes)]
    if day is None:
        if inside.empty:
            return None
        day = int(inside.day.value_counts().sort_index().idxmax())
    return day, inside[inside.day == day], int((m.day == day).sum())


def service_centre_figure(result: "Result") -> Figure:
    d = result.daily
    week = 7
    fig = Figure(figsize=(8, 7), layout="constrained")
    calls, waits, level = fig.subplots(3, 1, sharex=True)

    def smooth(x):
        return x.rolling(week, min_periods=1).mean()

    calls.plot(d.day, smooth(d.service_calls), color="black", label="calls")
    calls.plot(d.day, smooth(d.service_answered), color=LOVE, label="answered")
    calls.plot(d.day, smooth(d.service_abandoned), color=PAIN, label="abandoned")
    calls.plot(d.day, smooth(d.service_unserved), color="tab:purple", ls=":",
               label="unserved (still waiting at closing)")
    calls.plot(d.day, smooth(d.service_calls - d.service_resolved), color="tab:orange", ls="--",
               label="not resolved (will call again)")
    calls.set_ylabel("calls per day\n(7-day mean)")
    calls.legend(fontsize=8, ncol=2)
    calls.grid(alpha=0.3)
    staffing = result.summary.get("service_staffing") or {}
    agent_hours = f"{sum(staffing.values()):g} agent-hours a weekday"
    weekend = result.summary.get("service_staffing_weekend")
    if weekend:
        agent_hours += f" ({sum(weekend.values()):g} a weekend day)"
    currency = result.config["money"].get("currency") or "currency units"
    calls.set_title(f"Service centre: {agent_hours}, "
                    f"{d.cost_service_centre.sum():,.0f} {currency} in agent cost\n"
                    f"{_title(result)}",
                    fontsize=10)
    waits.plot(d.day, smooth(d.service_mean_wait_s), label="mean wait (answered calls)")
    waits.plot(d.day, smooth(d.service_p90_wait_s), label="90th percentile wait")
    waits.set_ylabel("seconds (7-day mean)")
    waits.legend(fontsize=8)
    waits.grid(alpha=0.3)
    threshold = result.config["service_centre"]["service_level_seconds"]
    level.plot(d.day, 100 * smooth(d.service_level), color="tab:green",
               label=f"service level (answered within {threshold:g} s)")
    level.plot(d.day, 100 * smooth(d.service_occupancy), color="tab:purple",
               label="agent occupancy")
    level.axhline(100 * result.config["service_centre"]["service_level_target"], color="grey",
                  ls=":", label="service-level target")
    level.set_ylim(0, 105)
    level.set_ylabel("% (7-day mean)")
    level.set_xlabel("day")
    level.legend(fontsize=8, loc="center left")  # between service level (high) and occupancy
    level.grid(alpha=0.3)
    return fig
