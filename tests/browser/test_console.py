"""The operator console in a real browser: live tiles, alarms panel, site map, themes.

One server, one simulated fleet and one browser for the module; the tests run in order
and build on each other's state like an operator's shift (log in, an incident, ack it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from alarms.models import Alarm
from monitoring.choices import ConditionKind
from monitoring.models import MapPosition, Region, Site, Ups, UserPreference
from tests.alarms.factories import OpenAlarmFactory
from tests.browser.conftest import LiveServer, screenshot, watched_page
from tests.factories import PASSWORD

SECOND = 1000  # Playwright timeouts are in ms


@pytest.fixture(scope="module")
def estate(live_db: None, sim: Any) -> dict[str, Ups]:
    region = Region.objects.create(name="Test region")
    site = Site.objects.create(name="Test branch", region=region)
    Site.objects.create(name="Empty branch", region=region)
    rows = {}
    for status in sim.status():
        host, port = sim.endpoint(status["name"])
        rows[status["name"]] = Ups.objects.create(
            name=status["name"], site=site, host=host, port=port, community="public"
        )
    # Poll every second (below the form's minimum of 5 s): state changes show quickly.
    Ups.objects.update(poll_interval_s=1, next_poll_at=timezone.now())
    User.objects.create_user("admin", password=PASSWORD, is_staff=True, is_superuser=True)
    return rows


@pytest.fixture(scope="module")
def page(chromium: Any, live_server_ws: LiveServer, estate: dict[str, Ups]) -> Any:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = watched_page(context, 15 * SECOND)
    yield page
    context.close()


def poll_now() -> None:
    Ups.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_log_in_and_see_the_simulated_fleet(page: Any, live_server_ws: LiveServer) -> None:
    page.goto(live_server_ws.url + "/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("body[data-live=live]")
    tiles = page.locator("li.tile[data-ups]")
    assert tiles.count() == 4
    # Polled and pushed: every tile turns OK without a reload.
    # (expect, not wait_for_function: the CSP forbids the eval that the latter needs)
    expect(page.locator("#fleet-groups li.tile.state-ok")).to_have_count(4, timeout=20 * SECOND)
    assert page.inner_text("[data-count=ok]") == "4"
    assert "Load" in page.inner_text("li.tile >> nth=0")
    assert page.errors == []
    screenshot(page, "dashboard")


def test_mains_failure_turns_the_tile_amber_then_red_without_reload(
    page: Any, sim: Any, estate: dict[str, Ups]
) -> None:
    ups = estate["UPS-002"]
    tile = f"#fleet-groups li.tile[data-ups='{ups.pk}']"
    page.evaluate("window.__sameDocument = true")

    sim.set_scenario("UPS-002", "mains_failure")
    poll_now()
    page.wait_for_selector(f"{tile}.state-warning")
    assert page.inner_text(f"{tile} .word") == "WARN"
    assert "on battery" in page.inner_text(f"{tile} .reason")
    screenshot(page, "dashboard-warning")

    sim.set_scenario("UPS-002", "low_battery")
    poll_now()
    page.wait_for_selector(f"{tile}.state-critical")
    assert page.inner_text(f"{tile} .word") == "ALARM"
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert page.inner_text("[data-count=critical]") == "1"

    page.click(".views a[data-view=problems]")
    first = page.locator("#problems li.tile").first
    assert first.get_attribute("data-ups") == str(ups.pk)  # worst first
    screenshot(page, "dashboard-problems")
    page.click(".views a[data-view=all]")


def test_acknowledge_an_alarm_from_the_panel(page: Any, estate: dict[str, Ups]) -> None:
    ups = estate["UPS-002"]
    row = f"#alarm-list li.alarm.unacked[data-ups='{ups.pk}']"
    page.wait_for_selector(row)
    assert page.locator("#alarm-list li.alarm").first.get_attribute("data-ups") == str(ups.pk)
    screenshot(page, "alarms-panel")
    alarm_id = int(page.locator(row).first.get_attribute("data-alarm"))

    page.click(f"#alarm-list li[data-alarm='{alarm_id}'] button.ack")

    page.wait_for_selector(f"#alarm-list li[data-alarm='{alarm_id}']:not(.unacked)")
    alarm = Alarm.objects.get(pk=alarm_id)
    assert alarm.acknowledged_by is not None
    assert alarm.acknowledged_by.username == "admin"
    expect(page.locator("#alarm-status")).to_contain_text("acknowledged")


def test_drag_an_icon_onto_the_site_map_and_find_it_after_reload(
    page: Any, live_server_ws: LiveServer, estate: dict[str, Ups]
) -> None:
    ups = estate["UPS-001"]
    page.goto(f"{live_server_ws.url}/sites/{ups.site_id}/map/")
    page.wait_for_selector("body[data-live=live]")
    page.click("#edit-toggle")
    pin = page.locator(f"#tray .pin[data-ups='{ups.pk}']")
    canvas = page.locator("#map-canvas").bounding_box()
    start = pin.bounding_box()

    page.mouse.move(start["x"] + 10, start["y"] + 8)
    page.mouse.down()
    target = (canvas["x"] + canvas["width"] * 0.3, canvas["y"] + canvas["height"] * 0.4)
    page.mouse.move(*target, steps=8)
    page.mouse.up()
    page.wait_for_selector("body[data-saved='1']")

    position = MapPosition.objects.get(ups=ups)
    assert (position.x, position.y) == (pytest.approx(0.3, abs=0.02), pytest.approx(0.4, abs=0.02))
    page.reload()
    placed = page.locator(f"#map-canvas .pin[data-ups='{ups.pk}']")
    assert placed.count() == 1
    assert float(placed.get_attribute("data-x")) == pytest.approx(0.3, abs=0.02)
    box = placed.bounding_box()
    canvas = page.locator("#map-canvas").bounding_box()
    assert (box["x"] + box["width"] / 2 - canvas["x"]) / canvas["width"] == pytest.approx(
        0.3, abs=0.02
    )
    # The critical UPS-002 is live on the map too.
    page.wait_for_selector(f".pin[data-ups='{estate['UPS-002'].pk}'].state-critical")
    screenshot(page, "site-map")


def test_stale_banner_while_the_server_is_down_then_resync(
    page: Any, live_server_ws: LiveServer, sim: Any, estate: dict[str, Ups]
) -> None:
    page.goto(live_server_ws.url + "/")
    page.wait_for_selector("body[data-live=live]")
    assert page.is_hidden("#stale-banner")

    live_server_ws.call(live_server_ws.stop_web)
    page.wait_for_selector("#stale-banner:not([hidden])")
    assert "STALE" in page.inner_text("#stale-banner")
    screenshot(page, "dashboard-stale")
    # What changes while the page is cut off arrives with the snapshot on reconnect.
    sim.set_scenario("UPS-003", "mains_failure")
    poll_now()
    ups3 = estate["UPS-003"]
    _wait_db(lambda: ups3.status.__class__.objects.get(ups=ups3).state == "warning")

    live_server_ws.call(live_server_ws.start_web)
    page.wait_for_selector("body[data-live=live]", timeout=40 * SECOND)
    assert page.is_hidden("#stale-banner")
    page.wait_for_selector(f"#fleet-groups li.tile[data-ups='{ups3.pk}'].state-warning")


def _wait_db(predicate: Any, seconds: float = 15) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the database never got there"
        time.sleep(0.2)


@pytest.mark.parametrize("theme", ["dark", "grey_normal"])
def test_themes_from_the_preferences_page(
    page: Any, live_server_ws: LiveServer, theme: str
) -> None:
    page.goto(live_server_ws.url + "/preferences/")
    page.check(f"input[name=theme][value={theme}]")
    page.click("form.prefs button[type=submit]")
    page.wait_for_selector("ul.flash")
    assert UserPreference.objects.get(user__username="admin").theme == theme

    page.goto(live_server_ws.url + "/")
    assert page.get_attribute("html", "data-theme") == theme
    page.wait_for_selector("body[data-live=live]")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == {"dark": "rgb(48, 48, 48)", "grey_normal": "rgb(212, 212, 212)"}[theme]
    screenshot(page, f"dashboard-{theme}")


def test_the_ups_page_draws_its_charts(
    page: Any, live_server_ws: LiveServer, estate: dict[str, Ups]
) -> None:
    page.goto(f"{live_server_ws.url}/ups/{estate['UPS-002'].pk}/")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20 * SECOND)
    screenshot(page, "ups-detail")


def test_no_page_breaks_the_content_security_policy(
    page: Any, live_server_ws: LiveServer, estate: dict[str, Ups]
) -> None:
    """Every console page under the site's CSP (script-src/style-src 'self'): nothing
    blocked, neither at load nor once the scripts have drawn (charts, map, panel)."""
    site = Site.objects.get(name="Test branch")
    ups = estate["UPS-002"]
    for path, ready in (
        ("/", "body[data-live=live]"),
        (f"/ups/{ups.pk}/", ".js-plotly-plot .main-svg"),
        ("/alarms/?state=&sort=newest", "table.alarms"),
        (f"/alarms/?state=&sort=newest&ups={ups.pk}", "table.alarms"),
        (f"/sites/{site.pk}/map/", "main"),
        ("/preferences/", "main"),
    ):
        page.goto(live_server_ws.url + path)
        page.wait_for_selector(ready, timeout=20 * SECOND)
        page.wait_for_timeout(500)
    # Hovering a chart draws plotly's hover layer (it styles through the CSSOM).
    page.goto(f"{live_server_ws.url}/ups/{ups.pk}/")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20 * SECOND)
    page.locator(".js-plotly-plot").first.hover()
    page.wait_for_timeout(500)
    where = page.evaluate("window.__csp")
    assert not page.csp_violations, "\n".join(page.csp_violations + where)


def test_bulk_acknowledge_asks_first(
    page: Any, live_server_ws: LiveServer, estate: dict[str, Ups]
) -> None:
    """The confirmation is static JS (js/confirm.js), not an inline handler: declining it
    sends nothing."""
    # An alarm of its own, whatever the earlier tests acknowledged.
    OpenAlarmFactory.create(ups=estate["UPS-004"], kind=ConditionKind.FAN_FAILURE)
    page.goto(live_server_ws.url + "/alarms/?state=unacknowledged&sort=newest")
    boxes = page.locator("input[name=alarm]")
    boxes.first.check()
    asked: list[str] = []

    def decline(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.get_by_role("button", name="Acknowledge selected").click()
    page.wait_for_timeout(500)
    assert asked == ["Acknowledge the selected alarms?"]
    assert "/alarms/" in page.url
    assert page.locator("input[name=alarm]").count() == boxes.count()
