"""The one rule "a leg is overdue": not completed and past its SLA due time, the same for a
queryset and for one leg."""

import datetime

import pytest
from django.utils import timezone

from logistics.models import Leg
from logistics.selectors import leg_is_overdue, leg_overdue_list, overdue_filter

from .factories import LegFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=timezone.get_default_timezone())
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def legs():
    return {
        "late": LegFactory(sla_due_at=NOW - HOUR),
        "late_but_done": LegFactory(
            sla_due_at=NOW - HOUR, started_at=NOW - 3 * HOUR, completed_at=NOW - 2 * HOUR
        ),
        "due_now": LegFactory(sla_due_at=NOW),
        "not_due": LegFactory(sla_due_at=NOW + HOUR),
    }


def test_only_an_open_leg_past_its_due_time_is_overdue(legs):
    overdue = {name for name, leg in legs.items() if leg_is_overdue(leg, now=NOW)}
    assert overdue == {"late"}


def test_the_filter_and_the_function_agree(legs):
    by_filter = set(Leg.objects.filter(overdue_filter(now=NOW)).values_list("pk", flat=True))
    by_function = {leg.pk for leg in legs.values() if leg_is_overdue(leg, now=NOW)}
    assert by_filter == by_function == {legs["late"].pk}


def test_the_list_is_the_longest_overdue_first(legs):
    older = LegFactory(sla_due_at=NOW - 3 * HOUR)
    assert list(leg_overdue_list(now=NOW)) == [older, legs["late"]]


def test_without_a_time_it_is_now():
    assert leg_is_overdue(LegFactory(sla_due_at=timezone.now() - HOUR))
    assert not leg_is_overdue(LegFactory(sla_due_at=timezone.now() + HOUR))
