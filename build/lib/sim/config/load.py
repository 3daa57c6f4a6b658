"""Configs for the Python API: composed from `configs/` with Hydra, exactly as the CLI does."""

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig, OmegaConf

from sim.config.schema import UnknownKey, find_rule
from sim.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent / "yaml"  # the shipped configs (also ./configs)
# config groups: `journey=subscription` picks configs/journey/subscription.yaml
GROUPS = ("journey", "word_of_mouth", "market")


def load_config(overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The default config with Hydra overrides applied (`["days=90", "journey=subscription"]`)."""
    check_override_keys(overrides)
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides))
    except ConfigCompositionException as exc:
        raise _unknown_key_error(exc, overrides) from None
    return to_plain(cfg)


def check_composes(overrides: Sequence[str]) -> None:
    """Compose the config once (Hydra's own settings aside) so a bad key gets cxsim's error."""
    keep = [o for o in overrides if "=" in o and (not o.lstrip("+~").startswith("hydra")
                                                  or o.startswith("hydra.searchpath"))]
    load_config(keep)


def _unknown_key_error(exc: Exception, overrides: Sequence[str]) -> Exception:
    """cxsim's error for a key Hydra could not override (say, a misspelt touchpoint name).

    check_override_keys cannot know the names a journey gives its touchpoints; Hydra finds
    the key missing and suggests `+key`, which would add a touchpoint by mistake. Name the
    key and the keys allowed where it points instead.
    """
    match = re.search(r"Could not override '([^']+)'", str(exc))
    if not match:
        return exc
    key = match.group(1)
    others = [o for o in overrides if o.split("=", 1)[0].strip() != key]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        node: Any = to_plain(compose(config_name="config", overrides=others))
    path: list[str] = []
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            where = ".".join(path) or "the top level"
            allowed = ", ".join(map(str, node)) if isinstance(node, Mapping) else "none"
            item = next((o for o in overrides if o.split("=", 1)[0].strip() == key), key)
            return ConfigError(
                f"unknown key {key} in override {item!r}; allowed keys at {where}: {allowed}"
            )
        path.append(part)
        node = node[part]
    return exc


def to_plain(cfg: Mapping[str, Any] | DictConfig) -> dict[str, Any]:
    """A Hydra/OmegaConf config (or a dict) as plain Python containers."""
    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    return dict(cfg)


def check_override_keys(overrides: Sequence[str]) -> None:
    """Reject an override of an unknown key, naming the key and the allowed keys.

    Hydra would reject it too, but without saying what is allowed. Appends (`+key=`),
    deletions (`~key`) and Hydra's own settings (`hydra.*`) are left to Hydra.
    """
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key.lstrip("+") in (*GROUPS, "scenario") and "=" in item:
            value = item.split("=", 1)[1].strip()
            if value.lower() in ("", "null", "none", "~"):
                options = sorted(p.stem for p in (CONFIG_DIR / key.lstrip("+")).glob("*.yaml"))
                raise ConfigError(
                    f"{key.lstrip('+')} must name one of {', '.join(options)}; got "
                    f"{value or 'an empty value'!r} in override {item!r}"
                )
        if "=" not in item or key.startswith(("+", "~", "hydra")) or key in GROUPS:
            continue
        try:
            find_rule(key)
        except UnknownKey as err:
            raise ConfigError(f"unknown key {key} in override {item!r}; allowed keys at "
                              f"{err.where}: {err.allowed}") from None
