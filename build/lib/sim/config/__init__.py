"""Configuration: the schema of every key (rules and docs), the shipped configs (package data
in `yaml/`, also reachable as the checkout's top-level `configs/`), loading with Hydra, and
the memory estimate that refuses a run before allocating it."""

from sim.config.load import (
    CONFIG_DIR,
    GROUPS,
    check_composes,
    check_override_keys,
    load_config,
    to_plain,
)

__all__ = [
    "CONFIG_DIR", "GROUPS", "check_composes", "check_override_keys", "load_config", "to_plain",
]
