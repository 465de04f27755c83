"""The workflow's steps are named once (``programs.workflow.Step``): every event of the machine is
a step, every step has its permission and its words, and every step a user takes has its
service, its API action and its console button."""

from programs.api.serializers import ENROLLMENT_STEPS
from programs.api.views import EnrollmentViewSet
from programs.services import enrollments
from programs.workflow import PERMISSIONS, STEP_LABELS, USER_STEPS, EnrollmentWorkflow, Step

# Steps that are not a move of the graph: creating the draft, and the right to override.
NOT_EVENTS = {Step.CREATE_DRAFT, Step.OVERRIDE_ELIGIBILITY}


def test_every_event_of_the_machine_is_a_step_and_back():
    assert {str(event) for event in EnrollmentWorkflow.events} == {
        str(step) for step in set(Step) - NOT_EVENTS
    }


def test_every_step_has_its_permission_and_its_words():
    assert set(PERMISSIONS) == set(Step)
    assert set(STEP_LABELS) == set(Step)


def test_every_user_step_has_a_service_and_an_api_action():
    assert [str(step) for step in USER_STEPS] == ENROLLMENT_STEPS
    for step in USER_STEPS:
        assert callable(getattr(enrollments, f"enrollment_{step}"))
        assert callable(getattr(EnrollmentViewSet, str(step)))
