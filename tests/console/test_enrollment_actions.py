"""After approval, the center's managers start the program and confirm graduations from the
console; a reviewer who is not a manager is refused by the service, and nothing moves."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from belts.choices import CenterRole
from programs.choices import EnrollmentState
from programs.models import Enrollment, EnrollmentEvent
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
)
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import CohortFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db


def staff_client(role: str, belt) -> Client:
    user = StaffUserFactory()
    group, _created = Group.objects.get_or_create(name="Enrollment staff")
    group.permissions.add(
        *Permission.objects.filter(codename__in=["view_enrollment", "change_enrollment"])
    )
    user.groups.add(group)
    OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[belt]), user=user, role=role
    )
    client = Client()
    client.force_login(user)
    return client


def run_action(client: Client, action: str, enrollments) -> str:
    response = client.post(
        reverse("admin:programs_enrollment_changelist"),
        {"action": action, "_selected_action": [e.pk for e in enrollments]},
        follow=True,
    )
    assert response.status_code == 200
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def approved():
    belt = IndustrialBeltFactory()
    cohort = CohortFactory(seats=5)
    return belt, [
        EnrollmentFactory(
            merchant=MerchantFactory(belt=belt), cohort=cohort, state=EnrollmentState.APPROVED
        )
        for _ in range(2)
    ]


def test_manager_starts_then_graduates(approved):
    belt, enrollments = approved
    manager = staff_client(CenterRole.MANAGER, belt)

    assert "2 enrollments moved on" in run_action(manager, "activate_selected", enrollments)
    assert set(Enrollment.objects.values_list("state", flat=True)) == {EnrollmentState.ACTIVE}

    message = run_action(manager, "graduate_selected", enrollments[:1])
    assert "1 enrollment moved on" in message
    enrollments[0].refresh_from_db()
    assert enrollments[0].state == EnrollmentState.GRADUATED
    assert EnrollmentEvent.objects.filter(
        enrollment=enrollments[0], to_state=EnrollmentState.GRADUATED
    ).exists()


def test_a_reviewer_is_refused_and_nothing_moves(approved):
    belt, enrollments = approved
    reviewer = staff_client(CenterRole.REVIEWER, belt)

    message = run_action(reviewer, "activate_selected", enrollments)

    assert "moved on" not in message
    assert set(Enrollment.objects.values_list("state", flat=True)) == {EnrollmentState.APPROVED}
    assert not EnrollmentEvent.objects.exists()


def test_graduating_what_is_not_active_is_refused(approved):
    belt, enrollments = approved
    manager = staff_client(CenterRole.MANAGER, belt)

    message = run_action(manager, "graduate_selected", enrollments)

    assert "moved on" not in message
    assert set(Enrollment.objects.values_list("state", flat=True)) == {EnrollmentState.APPROVED}
