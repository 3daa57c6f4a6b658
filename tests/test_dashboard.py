"""The dashboard: its settings become the CLI's overrides, and a real browser can drive it.

The browser test starts `cxsim-dashboard` on localhost, drives it with Playwright in
headless Chromium (Debian's `chromium`, installed by setup.sh), moves a slider, presses
Step and Play, checks that the plots change and that no error shows, and saves a
screenshot (DASHBOARD_SCREENSHOT, or the test's temporary folder).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sim.app.dashboard import Session, Settings, scenarios_for, settings_overrides
from sim.config import load_config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def test_every_control_is_an_override_the_cli_accepts():
    s = Settings(customers=2000, days=60, scenario="loyalty_programme", word_of_mouth="evidence",
                 positive_contacts=4, negative_contacts=2, staffing_multiplier=0.8,
                 price_change=0.1, ad_rate_per_day=0.002, memory_rule="mean"
                 ).with_quality("support", "empathy", 9.0)
    cfg = load_config(settings_overrides(s))
    assert cfg["scenario"]["name"] == "loyalty_programme"
    assert (cfg["word_of_mouth"]["positive_contacts"], cfg["word_of_mouth"]["negative_contacts"]) \
        == (4, 2)
    assert cfg["service_centre"]["staffing_multiplier"] == 0.8
    assert cfg["acquisition"]["ad_rate_per_day"] == 0.002
    assert cfg["memory"]["rule"] == "mean"
    assert cfg["journey"]["touchpoints"]["support"]["quality"]["empathy"] == 9.0
    assert cfg["money"]["price_index"] == pytest.approx(1.1)  # felt as value for money


def test_scenarios_offered_fit_the_journey():
    assert "better_onboarding" in scenarios_for("subscription")
    assert "better_onboarding" not in scenarios_for("retail")
    assert "loyalty_programme" in scenarios_for("retail")


def test_compare_mode_differs_by_exactly_zero_when_nothing_changes():
    """The baseline has the same seed: with default settings both runs are the same run."""
    session = Session(Settings(customers=1000, days=30, compare=True))
    session.step(30)
    assert session.finished
    mine, base = session.series(), session.series(session.baseline)
    np.testing.assert_array_equal(mine["cum_profit"], base["cum_profit"])
    charts = session.charts()
    assert set(charts) == {"customers", "money", "nps", "word_of_mouth", "difference"}
    assert {len(line["data"]) for line in charts["money"]["series"]} == {30}
    assert session.journey_map_figure().axes


def test_a_better_touchpoint_shows_in_the_paired_difference():
    """Support much better on every pillar: fewer pained customers, more stay (same draws)."""
    s = Settings(customers=2000, days=120, compare=True)
    for pillar in ("resolution", "empathy", "time_effort", "integrity"):
        s = s.with_quality("support", pillar, 9.5)
    session = Session(s)
    session.step(120)
    mine, base = session.series(), session.series(session.baseline)
    assert mine["wom_negative"].sum() < base["wom_negative"].sum()
    assert mine["active"][-1] >= base["active"][-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dashboard_url(tmp_path):
    port = _free_port()
    exe = Path(sys.executable).parent / "cxsim-dashboard"
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "--no-open", "--port", str(port), "--customers", "2000", "--days", "365"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    url = f"http://localhost:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("cxsim-dashboard did not start:\n"
                            + (tmp_path / "server.log").read_text())
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def _plots(page) -> dict[str, bytes]:
    """What each plot shows, as pixels: they change when the plot is redrawn."""
    return {name: page.locator(f".cx-plot-{name}").first.screenshot()
            for name in ("customers", "money", "nps", "word_of_mouth", "journey_map")}


def _day(page) -> int:
    text = page.locator(".cx-status").inner_text()
    return int(text.split()[1])


def test_the_dashboard_in_a_real_browser(dashboard_url, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: setup.sh installs it (apt-get install chromium)")
        pytest.skip("no chromium here; setup.sh installs it (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.set_default_timeout(60_000)
        page.goto(dashboard_url)
        page.locator(".cx-status").wait_for()
        page.locator(".cx-plot-journey_map img").wait_for()
        page.locator(".cx-plot-money canvas").first.wait_for()
        assert _day(page) == 0
        before = _plots(page)

        # a slider: k- (contacts a pained customer tells) up by three, from the keyboard
        k_minus = page.get_by_role("slider", name="k-: a pained customer tells")
        told = int(k_minus.get_attribute("aria-valuenow"))
        k_minus.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.get_by_text(f"a pained customer tells {told + 3}").wait_for()
        assert _day(page) == 0  # new settings, a new run

        page.get_by_role("button", name="Step").click()
        page.wait_for_function("() => document.querySelector('.cx-status')"
                               ".innerText.startsWith('day 5 ')")
        after_step = _plots(page)
        assert after_step["customers"] != before["customers"]
        assert after_step["journey_map"] != before["journey_map"]

        page.get_by_role("button", name="Play").click()
        page.wait_for_function("() => parseInt(document.querySelector('.cx-status')"
                               ".innerText.split(' ')[1]) >= 40")
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Play").wait_for()
        paused_at = _day(page)
        time.sleep(1.0)
        assert _day(page) == paused_at  # paused means paused
        played = _plots(page)
        assert played["money"] != after_step["money"]
        assert played["nps"] != after_step["nps"]
        assert _day(page) >= 40

        # compare with baseline: a new run beside the baseline, and the difference drawn live
        page.get_by_text("compare with baseline").click()  # the label: vuetify covers the box
        page.wait_for_function("() => document.querySelector('.cx-status')"
                               ".innerText.startsWith('day 0 ')")
        page.locator(".cx-plot-difference canvas").first.wait_for()
        page.get_by_role("button", name="Step").click()
        page.wait_for_function("() => document.querySelector('.cx-status')"
                               ".innerText.startsWith('day 5 ')")

        alerts = page.locator(".v-alert.error")
        assert alerts.count() == 0, alerts.first.inner_text()
        assert "Traceback" not in page.locator("body").inner_text()
        shot = Path(os.environ.get("DASHBOARD_SCREENSHOT", tmp_path / "dashboard.png"))
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000
    assert not errors, errors
