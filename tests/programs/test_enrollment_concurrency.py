"""Seats under concurrent approvals: many reviewers and API clients at once, each on its own
database connection, released together. Only PostgreSQL has the row locks this is about; on
SQLite the test is skipped, and under CI (``CI`` set) it must not be."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection, connections
from django.utils import timezone

from belts.choices import CenterRole
from programs.choices import SEAT_HOLDING_STATES, EnrollmentState
from programs.exceptions import EnrollmentCohortFull, EnrollmentStateError
from programs.models import Enrollment, EnrollmentEvent
from programs.reasons import ReasonCode
from programs.services.enrollments import (
    enrollment_approve,
    enrollment_withdraw,
    enrollments_approve_bulk,
)
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.programs.factories import CohortFactory, EnrollmentFactory
from tests.utils.services import skip_without

SEATS = 10
APPLICANTS = 40
S = EnrollmentState


@pytest.fixture
def postgresql(transactional_db) -> None:
    if connection.vendor != "postgresql":
        reason = "needs DATABASE_URL pointing at PostgreSQL: SQLite has no row locks to race on"
        skip_without(reason)


@pytest.fixture
def queue(postgresql):
    """A ten-seat cohort, forty applications in review submitted a minute apart (in an order
    unrelated to their ids), five reviewers and a superuser (an API client) of the center."""
    belt = IndustrialBeltFactory()
    center = OperationCenterFactory(belts=[belt])
    actors = [
        OperationCenterMembershipFactory(center=center, role=CenterRole.REVIEWER).user
        for _ in range(5)
    ] + [SuperUserFactory()]
    cohort = CohortFactory(seats=SEATS)
    base = timezone.now() - datetime.timedelta(days=1)
    enrollments = [
        EnrollmentFactory(
            cohort=cohort,
            merchant__belt=belt,
            state=S.IN_REVIEW,
            # 0, 17, 34, 11, ...: a permutation of 0..39 (17 and 40 are coprime).
            submitted_at=base + datetime.timedelta(minutes=(i * 17) % APPLICANTS),
        )
        for i in range(APPLICANTS)
    ]
    return cohort, enrollments, actors


def race(attempts: list[Callable[[], object]]) -> list[BaseException]:
    """Run each attempt in its own thread with its own database connection, all released at
    once by a barrier; return what they raised."""
    barrier = threading.Barrier(len(attempts))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(attempt: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait(timeout=30)
            attempt()
        except BaseException as error:  # reported to the test, whatever it is
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


def states(cohort) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in Enrollment.objects.filter(cohort=cohort).values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    return counts


def waitlist(cohort) -> list[int]:
    return list(
        Enrollment.objects.filter(cohort=cohort, state=S.WAITLISTED)
        .order_by("waitlisted_at", "pk")
        .values_list("pk", flat=True)
    )


def test_forty_simultaneous_approvals_never_overbook_ten_seats(queue):
    cohort, enrollments, actors = queue

    errors = race(
        [
            partial(enrollment_approve, enrollment=e, actor=actors[i % len(actors)])
            for i, e in enumerate(enrollments)
        ]
    )

    assert errors == []
    assert states(cohort) == {S.APPROVED: SEATS, S.WAITLISTED: APPLICANTS - SEATS}
    # Every attempt was decided exactly once, and every waitlisting says why.
    decisions = EnrollmentEvent.objects.filter(enrollment__cohort=cohort)
    assert decisions.count() == APPLICANTS
    assert (
        decisions.filter(to_state=S.WAITLISTED, reason_code=ReasonCode.NO_SEAT_WAITLISTED).count()
        == 30
    )
    # Decided one at a time under the cohort's lock: the last approval came before the first
    # waitlisting, and the waitlist has a strict order.
    last_approval = max(
        Enrollment.objects.filter(cohort=cohort, state=S.APPROVED).values_list(
            "decided_at", flat=True
        )
    )
    waitlisted_at = list(
        Enrollment.objects.filter(cohort=cohort, state=S.WAITLISTED)
        .order_by("waitlisted_at")
        .values_list("waitlisted_at", flat=True)
    )
    assert last_approval <= waitlisted_at[0]
    assert len(set(waitlisted_at)) == len(waitlisted_at)

    # A seat freed early goes to the head of that waitlist, in the same transaction.
    head = waitlist(cohort)[0]
    leaving = Enrollment.objects.filter(cohort=cohort, state=S.APPROVED).first()
    enrollment_withdraw(enrollment=leaving, actor=actors[-1])
    assert Enrollment.objects.get(pk=head).state == S.APPROVED
    promotion = EnrollmentEvent.objects.get(enrollment_id=head, to_state=S.APPROVED)
    assert promotion.reason_code == ReasonCode.PROMOTED
    assert Enrollment.objects.filter(cohort=cohort, state__in=SEAT_HOLDING_STATES).count() == SEATS


def test_forty_simultaneous_bulk_approvals_seat_by_submission_time(queue):
    """Reviewers and API clients approving the whole queue at once: the first to hold the
    cohort's lock decides everything, in order of submission; the others find nothing left."""
    cohort, enrollments, actors = queue
    by_submission = [e.pk for e in sorted(enrollments, key=lambda e: (e.submitted_at, e.pk))]

    errors = race(
        [
            partial(
                enrollments_approve_bulk, enrollments=enrollments, actor=actors[i % len(actors)]
            )
            for i in range(APPLICANTS)
        ]
    )

    assert errors == []
    approved = set(
        Enrollment.objects.filter(cohort=cohort, state=S.APPROVED).values_list("pk", flat=True)
    )
    assert approved == set(by_submission[:SEATS])
    assert waitlist(cohort) == by_submission[SEATS:]
    assert EnrollmentEvent.objects.filter(enrollment__cohort=cohort).count() == APPLICANTS


def test_single_and_bulk_approvals_racing_still_fill_exactly_the_seats(queue):
    cohort, enrollments, actors = queue
    attempts: list[Callable[[], object]] = [
        partial(enrollment_approve, enrollment=e, actor=actors[i % len(actors)])
        for i, e in enumerate(enrollments[: APPLICANTS // 2])
    ]
    attempts += [
        partial(enrollments_approve_bulk, enrollments=enrollments, actor=actors[i % len(actors)])
        for i in range(APPLICANTS // 2)
    ]

    errors = race(attempts)

    # A single approval that lost the race to a bulk one finds its application decided: approved
    # already, or waitlisted with every seat taken. Nothing else goes wrong.
    assert all(
        isinstance(error, EnrollmentStateError | EnrollmentCohortFull) for error in errors
    ), errors
    assert states(cohort) == {S.APPROVED: SEATS, S.WAITLISTED: APPLICANTS - SEATS}
    assert EnrollmentEvent.objects.filter(enrollment__cohort=cohort).count() == APPLICANTS
