"""Shared fixtures: small configs composed from configs/ exactly as users get them."""

import copy

import pytest

from sim.config import load_config


@pytest.fixture(scope="session")
def default_cfg() -> dict:
    return load_config()


@pytest.fixture
def cfg(default_cfg) -> dict:
    """The default config (a fresh copy each test), scaled down to run in well under a second."""
    c = copy.deepcopy(default_cfg)
    c["population"]["customers"] = 2000
    c["population"]["prospects"] = 1000
    c["days"] = 120
    return c
