"""Memory estimate before any allocation: a run that cannot fit is refused, not killed.

The figures are measured peaks (experiments/bench_memory.py prints them): the increase of
the process's peak resident memory over a warm process, for a 30-day run that simulates,
builds the result tables and writes them. They grow linearly with the market:

- BYTES_PER_PERSON: every person (customer, prospect or lapsed): the struct of arrays, the
  per-person result table (customers.parquet/csv) and its writing; plus
  BYTES_PER_TOUCHPOINT for each touchpoint of the journey (a person's expectation there).
- BYTES_PER_EDGE: every undirected edge of the social network (mean_degree / 2 per
  person): the CSR arrays and the edge keys sorted while building them.
- BYTES_PER_HANDLE: every Mesa Customer handle (population.agent_handles).

The estimate is compared with the memory available now (MemAvailable in /proc/meminfo),
or with CXSIM_MEMORY_LIMIT (bytes; suffixes K, M, G, T) if that is set and smaller.
"""

import os
from collections.abc import Mapping
from typing import Any

from sim.config.schema import lapsed_on_day_0
from sim.errors import ConfigError, RunError

BYTES_PER_PERSON = 310
BYTES_PER_TOUCHPOINT = 4  # float32 expectation per person and touchpoint
BYTES_PER_EDGE = 16
BYTES_PER_HANDLE = 350
BYTES_PER_MESSAGE = 64  # 32 in the record, as much again for its table
BYTES_FIXED = 100 * 2**20  # result tables by day and touchpoint, plots, parquet buffers
AGENT_HANDLES_AUTO_MAX = 200_000  # as sim.engine.model: handles for all up to this many people
LIMIT_ENV = "CXSIM_MEMORY_LIMIT"


def estimate_bytes(cfg: Mapping[str, Any]) -> int:
    """Peak memory a run of this (checked) config needs, in bytes."""
    pop, net, wom = cfg["population"], cfg["network"], cfg["word_of_mouth"]
    people = market_size(pop)
    touchpoints = cfg["journey"]["touchpoints"]
    per_person = BYTES_PER_PERSON + BYTES_PER_TOUCHPOINT * (
        len(touchpoints) if isinstance(touchpoints, Mapping) else 0)
    talks = wom["positive_contacts"] > 0 or wom["negative_contacts"] > 0
    edges = 0.0
    if talks and net["kind"] in ("small_world", "scale_free", "random"):
        edges = people * max(net["mean_degree"], 2.0) / 2.0
    elif talks and net["kind"] == "edge_list" and net["path"]:
        try:  # about 12 bytes a line ("12345 67890\n")
            edges = os.path.getsize(net["path"]) / 12.0
        except OSError:
            edges = 0.0
    handles = pop["agent_handles"] == "all" or (
        pop["agent_handles"] == "auto" and people <= AGENT_HANDLES_AUTO_MAX
    )
    return int(
        BYTES_FIXED
        + people * per_person
        + edges * BYTES_PER_EDGE
        + (people * BYTES_PER_HANDLE if handles else 0)
        + BYTES_PER_MESSAGE * cfg["output"]["record_messages"]
    )


def _parse_bytes(text: str) -> int:
    text = text.strip().upper().removesuffix("B")
    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = float(number) * scale
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(
            f"{LIMIT_ENV} must be a number of bytes > 0, optionally with K, M, G or T "
            f"(e.g. 8G); got {text!r}"
        )
    return int(value)


def available_bytes() -> int | None:
    """Memory this run may use: MemAvailable, capped by CXSIM_MEMORY_LIMIT; None if unknown."""
    found = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            found = None
    limit = os.environ.get(LIMIT_ENV, "").strip()
    if limit:
        cap = _parse_bytes(limit)
        found = cap if found is None else min(found, cap)
    return found


def _gb(x: float) -> str:
    return f"{x / 2**30:.1f} GB" if x >= 2**30 else f"{x / 2**20:.0f} MB"


def market_size(population: Mapping[str, Any]) -> int:
    """People in the market: customers, prospects and the day-0 lapsed ex-customers."""
    return population["customers"] + population["prospects"] + lapsed_on_day_0(population)


def check_memory(cfg: Mapping[str, Any]) -> int:
    """Refuse, before any allocation, a run whose estimate exceeds the memory available."""
    need = estimate_bytes(cfg)
    have = available_bytes()
    if have is not None and need > have:
        people = market_size(cfg["population"])
        source = f" ({LIMIT_ENV})" if os.environ.get(LIMIT_ENV, "").strip() else ""
        raise RunError(
            f"not enough memory: {people:,} people need about {_gb(need)} "
            f"(about {BYTES_PER_PERSON + BYTES_PER_HANDLE} bytes a person with agent handles, "
            f"{BYTES_PER_PERSON} without, plus {BYTES_PER_EDGE} per network edge) but "
            f"{_gb(have)} is available{source}; reduce population.customers or "
            "population.prospects, or set population.agent_handles=none"
        )
    return need
