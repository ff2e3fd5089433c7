"""Notification pop-ups in a real browser, through the whole real path.

A simulated UPS loses mains -> the monitor loop polls it -> the lifecycle raises an
alarm -> `plan_notifications` (PERIODIC_TASKS, run by the same monitor loop inside the
server's event loop) writes the outbox row -> the sender's pop-up transport sends to
the group `user.<id>` -> `PopupConsumer` -> `static/js/popups.js` on the operator's open
pages. Nothing here calls the planner or the transport directly.

One server, one fleet and the operator's two sessions (two browser contexts) for the
module; the tests run in order like a shift. The second session plays a background
tab: Chromium offers no way to hide a headless tab, so an init script makes
`document.hidden` true there and records what the page hands to the real Notification
API (permission granted to that context).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User
from django.test.utils import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role, assign_role
from alarms.models import Alarm
from monitoring.choices import ConditionKind
from monitoring.models import Region, Site, Ups, UpsStatus
from notifications.choices import ChannelKind, State, Trigger
from notifications.models import Notification
from tests.browser.conftest import LiveServer, assert_csp_clean, screenshot, watched_page
from tests.factories import PASSWORD, UserFactory
from tests.notifications.factories import ChannelFactory, RecipientFactory, make_rule

SECOND = 1000  # Playwright timeouts are in ms
POPUP = "#unms-popups section.unms-popup"

# The background tab: hidden, and every Notification the page creates is recorded
# before the real constructor runs.
BACKGROUND_TAB = """
Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => true });
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get: () => "hidden",
});
window.__notes = [];
if ("Notification" in window) {
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) {
      window.__notes.push({ title, body: options && options.body, tag: options && options.tag });
      super(title, options);
    }
  }
  window.Notification = Recorded;
}
"""


@pytest.fixture(scope="module")
def base_url(live_server_ws: LiveServer) -> Iterator[str]:
    """Links in pop-ups point at the console as its users reach it: here, the test server."""
    override = override_settings(NOTIFY={**settings.NOTIFY, "BASE_URL": live_server_ws.url})
    override.enable()
    yield live_server_ws.url
    override.disable()


@pytest.fixture(scope="module")
def estate(live_db: None, sim: Any) -> dict[str, Any]:
    region = Region.objects.create(name="Pop-up region")
    site = Site.objects.create(name="Pop-up branch", region=region)
    upses = {}
    for status in sim.status():
        host, port = sim.endpoint(status["name"])
        upses[status["name"]] = Ups.objects.create(
            name=status["name"], site=site, host=host, port=port, community="public"
        )
    Ups.objects.update(poll_interval_s=1, next_poll_at=timezone.now())
    operator = UserFactory.create(username="popup-operator")
    operator.set_password(PASSWORD)
    operator.save()
    assign_role(operator, Role.OPERATOR)
    # Someone else with a pop-up of their own: must never show on the operator's pages.
    other = UserFactory.create(username="popup-other")
    channel = ChannelFactory.create(name="Pop-up", kind=ChannelKind.POPUP, sound=True)
    me = RecipientFactory.create(name="operator on duty", user=operator, address="")
    them = RecipientFactory.create(name="someone else", user=other, address="")
    # Immediately, one by one (no digest wait): the pop-up must follow the alarm.
    make_rule(
        steps=[(Trigger.IMMEDIATE, 0)],
        targets=[(me, channel), (them, channel)],
        name="branch on battery",
        kinds=[ConditionKind.ON_BATTERY],
        active_since=timezone.now(),
        storm_control=False,
    ).sites.add(site)
    return {"upses": upses, "operator": operator, "other": other}


def _watched(context: Any) -> Any:
    return watched_page(context, 15 * SECOND)


def _log_in(page: Any, url: str, path: str) -> None:
    page.goto(f"{url}/login/?next={path}")
    page.fill("input[name=username]", "popup-operator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}{path}")


@pytest.fixture(scope="module")
def pages(chromium: Any, base_url: str, estate: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """The operator's foreground page (on the alarm log, a page without the console's
    own sound buttons) and a background tab in another session (on the dashboard)."""
    front_ctx = chromium.new_context(viewport={"width": 1300, "height": 850})
    back_ctx = chromium.new_context(viewport={"width": 1300, "height": 850})
    back_ctx.grant_permissions(["notifications"], origin=base_url)
    front = _watched(front_ctx)
    back = _watched(back_ctx)
    back.add_init_script(BACKGROUND_TAB)
    _log_in(front, base_url, "/alarms/")
    _log_in(back, base_url, "/")
    yield front, back
    front_ctx.close()
    back_ctx.close()


def _members(user: User) -> int:
    """Open pop-up sockets of the user, as the server's channel layer sees them."""
    return len(getattr(get_channel_layer(), "groups", {}).get(f"user.{user.pk}", {}))


def _wait(page: Any, predicate: Callable[[], bool], seconds: float = 20, what: str = "") -> None:
    """Poll the server side; waiting through the page lets Playwright run its callbacks
    (the WebSocket route below) meanwhile."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what or predicate}"
        page.wait_for_timeout(100)


def _raise_mains_failure(sim: Any, ups: Ups) -> None:
    sim.set_scenario(ups.name, "mains_failure")
    Ups.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_an_alarm_pops_up_on_every_open_page_of_the_recipient(
    pages: tuple[Any, Any], sim: Any, estate: dict[str, Any], base_url: str
) -> None:
    front, back = pages
    operator = estate["operator"]
    ups = estate["upses"]["UPS-002"]
    # The fleet is healthy before anything happens, and both sessions listen.
    _wait(front, lambda: UpsStatus.objects.filter(state="ok").count() == 4, what="a healthy fleet")
    _wait(front, lambda: _members(operator) == 2, what="both pages on /ws/notifications/")
    expect(front.locator(POPUP)).to_have_count(0)
    for page in pages:
        page.evaluate("window.__sameDocument = true")

    # The page's own sound controls (no console panel here): arming asks for the
    # notification permission inside the click; neither may get in the pop-up's way.
    arm = front.locator("#unms-popups-arm")
    silence = front.locator("#unms-popups-silence")
    expect(arm).to_be_visible()
    assert back.locator("#unms-popups-sound").is_hidden()  # the console has its own pair
    arm.click()
    expect(arm).to_have_text("Sound: ARMED")
    expect(silence).to_be_disabled()

    _raise_mains_failure(sim, ups)

    box = front.locator(POPUP)
    expect(box).to_have_count(1, timeout=30 * SECOND)
    expect(box).to_have_class("unms-popup severity-warning")
    expect(box).to_have_attribute("role", "alertdialog")
    title = box.locator("h2")
    expect(title).to_contain_text("[WARNING] On battery - UPS-002 @ Pop-up branch (Raised)")
    expect(box.locator("li")).to_have_text("WARNING On battery — UPS-002 @ Pop-up branch")
    link = box.get_by_role("link", name="UPS-002")
    expect(link).to_have_attribute("href", f"{base_url}/ups/{ups.pk}/")
    assert front.evaluate("window.__sameDocument") is True  # no reload

    # The other session (a background tab) got the same pop-up, and the desktop
    # notification because it is hidden and the permission is granted.
    expect(back.locator(POPUP)).to_have_count(1)
    expect(back.locator(f"{POPUP} h2")).to_have_text(title.inner_text())
    notes = back.evaluate("window.__notes")
    assert len(notes) == 1
    assert "UPS-002" in notes[0]["title"]
    assert notes[0]["body"] == "UPS-002: On battery"
    assert back.evaluate("window.__sameDocument") is True
    # The foreground page is visible: no desktop notification there.
    assert front.evaluate("'__notes' in window") is False

    # Stored as sent, to the operator only; nothing on their pages for someone else.
    row = Notification.objects.get(recipient__user=operator)
    assert row.alarm is not None
    assert (row.state, row.channel.kind, row.alarm.ups_id) == (State.SENT, "popup", ups.pk)
    assert row.acknowledged_at is None

    # The sound wants the horn: Silence stops it, the pop-up stays.
    expect(silence).to_be_enabled()
    silence.click()
    expect(silence).to_be_disabled()
    front.wait_for_timeout(500)
    expect(box).to_have_count(1)
    screenshot(front, "popup")
    assert_csp_clean(front, back)


def test_the_popup_stays_until_acknowledged_and_leads_to_the_ups(
    pages: tuple[Any, Any], estate: dict[str, Any], base_url: str
) -> None:
    front, back = pages
    ups = estate["upses"]["UPS-002"]
    # Follow the link: a new page load, and the unacknowledged pop-up is there again.
    front.locator(POPUP).get_by_role("link", name="UPS-002").click()
    front.wait_for_url(f"{base_url}/ups/{ups.pk}/")
    box = front.locator(POPUP)
    expect(box).to_have_count(1)
    expect(box.locator("h2")).to_contain_text("UPS-002")

    # Acknowledged in one session, gone from every session, not replayed any more.
    box.get_by_role("button", name="Acknowledge").click()
    expect(box).to_have_count(0)
    expect(back.locator(POPUP)).to_have_count(0)
    row = Notification.objects.get(recipient__user=estate["operator"])
    assert row.acknowledged_at is not None
    # Acknowledging the pop-up is not acknowledging the alarm.
    assert row.alarm is not None
    assert Alarm.objects.get(pk=row.alarm.pk).acknowledged_by is None
    # The other recipient's pop-up is theirs to acknowledge.
    assert Notification.objects.get(recipient__user=estate["other"]).acknowledged_at is None

    front.reload()
    front.wait_for_selector("#unms-popups", state="attached")
    _wait(front, lambda: _members(estate["operator"]) == 2, what="the reloaded page's socket")
    front.wait_for_timeout(500)
    expect(front.locator(POPUP)).to_have_count(0)
    assert_csp_clean(front, back)


def test_a_popup_can_be_acknowledged_after_the_page_reconnected(
    pages: tuple[Any, Any], sim: Any, estate: dict[str, Any], live_server_ws: LiveServer
) -> None:
    """The server restarts while a pop-up is open: the page reconnects, the replay
    finds the pop-up already shown, and its Acknowledge button must use the new socket."""
    front, back = pages
    operator = estate["operator"]
    ups = estate["upses"]["UPS-003"]
    _raise_mains_failure(sim, ups)
    expect(front.locator(POPUP)).to_have_count(1, timeout=30 * SECOND)
    expect(front.locator(f"{POPUP} h2")).to_contain_text("UPS-003")
    expect(back.locator(POPUP)).to_have_count(1)

    live_server_ws.call(live_server_ws.stop_web)
    _wait(front, lambda: _members(operator) == 0, what="the sockets to close")
    live_server_ws.call(live_server_ws.start_web)
    _wait(front, lambda: _members(operator) == 2, seconds=40, what="both pages to reconnect")
    front.wait_for_timeout(500)  # the replay has arrived
    expect(front.locator(POPUP)).to_have_count(1)

    front.locator(POPUP).get_by_role("button", name="Acknowledge").click()
    expect(front.locator(POPUP)).to_have_count(0)
    expect(back.locator(POPUP)).to_have_count(0)
    row = Notification.objects.get(recipient__user=operator, alarm__ups=ups)
    assert row.acknowledged_at is not None
    assert_csp_clean(front, back)


def test_an_acknowledgement_made_while_disconnected_is_sent_on_reconnect(
    pages: tuple[Any, Any], sim: Any, estate: dict[str, Any], live_server_ws: LiveServer
) -> None:
    front, back = pages
    operator = estate["operator"]
    ups = estate["upses"]["UPS-004"]
    _raise_mains_failure(sim, ups)
    expect(front.locator(POPUP)).to_have_count(1, timeout=30 * SECOND)
    expect(front.locator(f"{POPUP} h2")).to_contain_text("UPS-004")

    live_server_ws.call(live_server_ws.stop_web)
    _wait(front, lambda: _members(operator) == 0, what="the sockets to close")
    front.locator(POPUP).get_by_role("button", name="Acknowledge").click()
    # Nobody to tell yet: the pop-up stays until the server has it.
    front.wait_for_timeout(300)
    expect(front.locator(POPUP)).to_have_count(1)
    row = Notification.objects.get(recipient__user=operator, alarm__ups=ups)
    assert row.acknowledged_at is None

    live_server_ws.call(live_server_ws.start_web)
    expect(front.locator(POPUP)).to_have_count(0, timeout=40 * SECOND)
    expect(back.locator(POPUP)).to_have_count(0, timeout=40 * SECOND)
    row = Notification.objects.get(recipient__user=operator, alarm__ups=ups)
    assert row.acknowledged_at is not None
    assert_csp_clean(front, back)


def test_a_popup_acknowledged_elsewhere_while_this_page_was_away_can_still_be_closed(
    pages: tuple[Any, Any], sim: Any, estate: dict[str, Any]
) -> None:
    """The background tab loses its pop-up socket (a flaky Wi-Fi) while the operator
    acknowledges on the front page: it misses the dismiss, and the replay after its
    reconnect no longer lists the pop-up. Its Acknowledge button must still close it."""
    front, back = pages
    operator = estate["operator"]
    ups = estate["upses"]["UPS-001"]
    # The background tab's pop-up socket runs through a proxy the test can cut.
    cut = {"now": False}
    sockets: list[Any] = []

    def route(ws: Any) -> None:
        sockets.append(ws)
        if not cut["now"]:
            ws.connect_to_server()  # forwarded both ways
        # else: the page believes it is connected; nothing reaches the server

    back.route_web_socket("**/ws/notifications/", route)
    back.reload()
    _wait(front, lambda: _members(operator) == 2, what="the proxied socket")

    _raise_mains_failure(sim, ups)
    for page in pages:
        expect(page.locator(POPUP)).to_have_count(1, timeout=30 * SECOND)
        expect(page.locator(f"{POPUP} h2")).to_contain_text("UPS-001")

    cut["now"] = True
    sockets[-1].close()
    _wait(front, lambda: _members(operator) == 1, what="the background tab to drop off")
    _wait(front, lambda: len(sockets) == 2, what="the background tab to reconnect (to nothing)")
    front.locator(POPUP).get_by_role("button", name="Acknowledge").click()
    expect(front.locator(POPUP)).to_have_count(0)
    assert Notification.objects.get(recipient__user=operator, alarm__ups=ups).acknowledged_at

    cut["now"] = False
    sockets[-1].close()
    _wait(front, lambda: _members(operator) == 2, what="the background tab to reconnect")
    back.wait_for_timeout(500)
    stale = back.locator(POPUP)
    expect(stale).to_have_count(1)  # missed the dismiss; nothing says otherwise
    stale.get_by_role("button", name="Acknowledge").click()
    expect(stale).to_have_count(0)
    assert_csp_clean(front, back)
