"""Small configs for tests that need a model reduced to a classical one, and a way to run
the package's commands."""

import os
import subprocess
import sys
from pathlib import Path

from sim.config.schema import PILLARS


def run_command(name: str, *args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run one of the package's commands (cxsim, cxsim-compare) from this environment."""
    exe = Path(sys.executable).parent / name
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg", "RAY_USAGE_STATS_ENABLED": "0"},
        **kwargs,
    )


def one_touchpoint_journey(
    quality: float = 7.0, price: float = 0.0, spread: float = 0.0, interval_days: int = 1
) -> dict:
    """A journey of a single touchpoint visited every `interval_days` days (fixed interval)."""
    return {
        "name": "single",
        "start": {"shop": 1.0},
        "repeat_start": {"shop": 1.0},
        "episode_interval_days": interval_days,
        "interval": "fixed",
        "churn": "anytime",
        "touchpoints": {
            "shop": {
                "channel": "online",
                "quality": dict.fromkeys(PILLARS, quality),
                "spread": spread,
                "weight": 1.0,
                "cost": 0.0,
                "complexity": 0.0,
                "price": price,
                "next": {"end": 1.0},
            }
        },
    }


def single_segment(expectation: float = 7.0) -> dict:
    """One segment with no heterogeneity, so every customer is alike."""
    return {
        "everyone": {
            "share": 1.0,
            "spend_multiplier": 1.0,
            "spend_sd": 0.0,
            "expectation": expectation,
            "expectation_sd": 0.0,
            "churn_sensitivity": 1.0,
            "price_sensitivity": 0.0,
            "channel_convenience": {"online": 0.0, "offline": 0.0},
            "pillar_weights": dict.fromkeys(PILLARS, 1.0),
        }
    }
