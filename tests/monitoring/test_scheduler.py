"""Claiming due UPSs: grid slots, no double polls, disabled UPSs left alone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from monitoring.models import Ups
from monitoring.scheduler import claim_due, next_slot, request_poll_now
from tests.factories import UpsFactory

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("previous", "now", "expected"),
    [
        pytest.param(T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=30), id="on-the-grid"),
        pytest.param(
            T0,
            T0 + timedelta(seconds=95),
            T0 + timedelta(seconds=125),
            id="late-skips-missed-slots",
        ),
    ],
)
def test_next_slot_stays_on_the_grid_unless_a_whole_interval_was_missed(
    previous: datetime, now: datetime, expected: datetime
) -> None:
    assert next_slot(previous, 30, now, ups_id=1) == expected


def test_a_new_ups_gets_a_stable_offset_within_its_interval() -> None:
    slots = {next_slot(None, 30, T0, ups_id=i) for i in range(50)}
    assert all(T0 <= s < T0 + timedelta(seconds=30) for s in slots)
    assert len(slots) > 25  # spread, not all at once
    assert next_slot(None, 30, T0, ups_id=7) == next_slot(None, 30, T0, ups_id=7)


@pytest.mark.django_db
def test_claim_takes_due_enabled_upses_and_moves_them_to_their_next_slot() -> None:
    due = UpsFactory.create(next_poll_at=T0 - timedelta(seconds=5))
    never = UpsFactory.create(next_poll_at=None)
    UpsFactory.create(next_poll_at=T0 + timedelta(seconds=10))  # not yet
    UpsFactory.create(next_poll_at=T0 - timedelta(seconds=5), enabled=False)

    claims = claim_due(T0, limit=10)

    assert {c.ups_id for c in claims} == {due.pk, never.pk}
    due.refresh_from_db()
    assert due.next_poll_at == T0 + timedelta(seconds=25)
    assert claim_due(T0, limit=10) == []


@pytest.mark.django_db
def test_claim_respects_the_limit_most_overdue_first() -> None:
    upses = [UpsFactory.create(next_poll_at=T0 - timedelta(seconds=s)) for s in (1, 9, 5)]
    claims = claim_due(T0, limit=2)
    assert [c.ups_id for c in claims] == [upses[1].pk, upses[2].pk]


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="one claimer in the embedded SQLite mode; concurrent claiming is PostgreSQL's (CI)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_take_the_same_ups_for_one_slot() -> None:
    for _ in range(60):
        UpsFactory.create(next_poll_at=T0 - timedelta(seconds=1))
    results: list[list[int]] = []
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        try:
            results.append([c.ups_id for c in claim_due(T0, limit=60)])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    claimed = [ups_id for batch in results for ups_id in batch]
    assert len(claimed) == len(set(claimed)) == 60


@pytest.mark.django_db
def test_request_poll_now_makes_an_enabled_ups_due_at_once() -> None:
    ups = UpsFactory.create(next_poll_at=T0 + timedelta(minutes=5))
    disabled = UpsFactory.create(enabled=False)
    assert request_poll_now(ups.pk, T0)
    assert not request_poll_now(disabled.pk, T0)
    assert [c.ups_id for c in claim_due(T0, limit=10)] == [ups.pk]
    assert Ups.objects.get(pk=ups.pk).next_poll_at == T0 + timedelta(seconds=30)
