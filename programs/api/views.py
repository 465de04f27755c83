"""API of the programs app: thin callers of its selectors and services.

Domain errors (``ProgramError``) raised by the services are turned into the API's error shape by
``config.api_exceptions.api_exception_handler``: 400 for bad criteria, 409 for a rule set that
can no longer change; for enrollments 403 for a step the user may not take, 409 for a step the
state (or a full cohort, or an open application) does not allow, 400 otherwise.
"""

from collections.abc import Callable

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from merchants import selectors as merchant_selectors
from merchants.api.pagination import IdCursorPagination
from merchants.api.rows import ValuesListMixin
from merchants.api.serializers import DomainErrorSerializer
from programs import selectors
from programs.filtersets import (
    EligibilityFilterSet,
    EnrollmentFilterSet,
    ProgramFilterSet,
    RuleSetFilterSet,
)
from programs.models import Eligibility, Enrollment, RuleSet
from programs.services import enrollments
from programs.services.eligibility import (
    rule_set_create_draft,
    rule_set_delete_draft,
    rule_set_publish,
    rule_set_simulation_get,
    rule_set_update_draft,
)
from programs.workflow import Step

from .rows import ELIGIBILITY_VALUES, eligibility_rows
from .serializers import (
    EligibilitySerializer,
    EnrollmentCreateSerializer,
    EnrollmentSerializer,
    EnrollmentStepSerializer,
    EnrollmentSubmitSerializer,
    ProgramSerializer,
    RuleSetCreateSerializer,
    RuleSetSerializer,
    RuleSetUpdateSerializer,
    SimulationQuerySerializer,
    SimulationSerializer,
    step_path,
)

BAD_CRITERIA = OpenApiResponse(
    DomainErrorSerializer,
    description="Invalid criteria: code `invalid` with `field` `criteria` and one entry per bad "
    "criterion under `details`; a missing or mistyped field names that field.",
)
IMMUTABLE = OpenApiResponse(
    DomainErrorSerializer,
    description="The rule set is published or retired and can no longer change (`immutable`).",
)


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilterSet

    def get_queryset(self):
        return selectors.program_list()


# Eligibility -----------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="Recorded eligibility of the merchants the caller may see",
        description="Staff see the merchants of the belts their operation centers serve, a "
        "merchant's users and keys that merchant's rows, superusers all. Each reason's "
        "`message` is in the request's language. Cursor-paged by id (`next`, `previous`, no "
        "`count`): the table holds a row per merchant and program.",
    ),
    retrieve=extend_schema(summary="One recorded eligibility"),
)
class EligibilityViewSet(ValuesListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EligibilitySerializer
    # The list from .values(), pinned equal to EligibilitySerializer (programs/api/rows.py).
    list_values = ELIGIBILITY_VALUES
    filterset_class = EligibilityFilterSet
    # A row per merchant and program: the biggest table. Keyset pages, never counted.
    pagination_class = IdCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Eligibility.objects.none()
        return selectors.eligibility_list(user=self.request.user)

    def list_rows(self, rows):
        return eligibility_rows(rows)


@extend_schema(
    summary="Eligibility of one merchant",
    description="The merchant's recorded eligibility for every active program. Staff may read "
    "the merchants of the belts their centers serve, a portal user or key only its own "
    "merchants. Any other merchant, like one that does not exist, is a 404.",
    parameters=[
        OpenApiParameter("merchant_id", OpenApiTypes.INT, OpenApiParameter.PATH),
    ],
)
class MerchantEligibilityView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = EligibilitySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Eligibility.objects.none()
        merchant_id = self.kwargs["merchant_id"]
        if not merchant_selectors.merchant_is_visible(
            user=self.request.user, merchant_id=merchant_id
        ):
            raise NotFound
        return selectors.eligibility_list(merchant_id=merchant_id, active_programs_only=True)


# Rule sets -------------------------------------------------------------------------------------
class RuleSetPermission(BasePermission):
    """Staff read and simulate; writing needs the model permission of the change it makes, and
    publishing the permission to change rule sets."""

    verbs = {
        "create": "add",
        "update": "change",
        "partial_update": "change",
        "publish": "change",
        "destroy": "delete",
    }

    def has_permission(self, request: Request, view) -> bool:
        verb = self.verbs.get(getattr(view, "action", None) or "")
        if verb is None:
            return True
        opts = RuleSet._meta
        return request.user.has_perm(f"{opts.app_label}.{verb}_{opts.model_name}")


@extend_schema_view(
    list=extend_schema(summary="Rule sets of every program, newest version first"),
    retrieve=extend_schema(summary="One rule set"),
    create=extend_schema(
        summary="Create a draft",
        request=RuleSetCreateSerializer,
        responses={201: RuleSetSerializer, 400: BAD_CRITERIA},
    ),
    update=extend_schema(
        summary="Replace a draft's criteria and notes",
        request=RuleSetUpdateSerializer,
        responses={200: RuleSetSerializer, 400: BAD_CRITERIA, 409: IMMUTABLE},
    ),
    partial_update=extend_schema(
        summary="Change a draft's criteria or notes",
        request=RuleSetUpdateSerializer,
        responses={200: RuleSetSerializer, 400: BAD_CRITERIA, 409: IMMUTABLE},
    ),
    destroy=extend_schema(summary="Delete a draft", responses={204: None, 409: IMMUTABLE}),
)
class RuleSetViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAdminUser, RuleSetPermission]
    serializer_class = RuleSetSerializer
    filterset_class = RuleSetFilterSet

    def get_queryset(self):
        return selectors.rule_set_list()

    def _detail(self, rule_set: RuleSet, status_code: int = status.HTTP_200_OK) -> Response:
        # Read back through the selector, so the answer has the same shape as a GET.
        fresh = self.get_queryset().get(pk=rule_set.pk)
        return Response(RuleSetSerializer(fresh).data, status=status_code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = RuleSetCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rule_set = rule_set_create_draft(
            program=data["program"],
            criteria=data["criteria"],
            notes=data["notes"],
            actor=request.user,
        )
        return self._detail(rule_set, status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        rule_set = self.get_object()
        serializer = RuleSetUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        updated = rule_set_update_draft(
            rule_set=rule_set, criteria=data.get("criteria"), notes=data.get("notes")
        )
        return self._detail(updated)

    def perform_destroy(self, instance: RuleSet) -> None:
        rule_set_delete_draft(rule_set=instance)

    @extend_schema(
        summary="Publish a draft",
        description="The program's published version retires and this one takes its place; the "
        "program's eligibility is then recomputed for every merchant in the background. All or "
        "nothing: the draft's criteria are validated again as stored (bounds, categories) and "
        "the database prepares their evaluation before anything changes; a refusal (400, "
        "`field` `criteria`; `not_evaluable` if the database could not evaluate them) leaves the "
        "draft a draft and the previous version published. Needs the permission to change rule "
        "sets.",
        request=None,
        responses={200: RuleSetSerializer, 400: BAD_CRITERIA, 409: IMMUTABLE},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk=None) -> Response:
        published = rule_set_publish(rule_set=self.get_object(), actor=request.user)
        return self._detail(published)

    @extend_schema(
        summary="Simulate publishing",
        description="Who would gain, lose and keep eligibility if this rule set replaced the "
        "program's published one, against the eligibility recorded now, among the merchants "
        "the caller may see (a reviewer: those of the belts their centers serve). Writes "
        "nothing. The "
        "three lists are paged together with `page` and `page_size`.",
        request=None,
        parameters=[SimulationQuerySerializer],
        responses={200: SimulationSerializer, 400: BAD_CRITERIA},
    )
    @action(detail=True, methods=["post"])
    def simulate(self, request: Request, pk=None) -> Response:
        rule_set = self.get_object()
        query = SimulationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, size = query.validated_data["page"], query.validated_data["page_size"]

        simulation = rule_set_simulation_get(rule_set=rule_set, user=request.user)
        start = (page - 1) * size
        lists = {
            "gain": simulation.gained[start : start + size],
            "lose": simulation.lost[start : start + size],
            "keep": simulation.kept[start : start + size],
        }
        names = {
            row["id"]: row
            for row in merchant_selectors.merchant_brief_list(
                merchant_ids=[pk for ids in lists.values() for pk in ids]
            )
        }
        counts = simulation.counts
        longest = max(counts["gain"], counts["lose"], counts["keep"])
        data = {
            "rule_set": rule_set,
            "program": rule_set.program,
            "as_of": simulation.as_of,
            "counts": counts,
            "page": page,
            "page_size": size,
            "num_pages": max(1, -(-longest // size)),
            # A merchant deleted since the simulation drops out of the page, not the counts.
            **{key: [names[pk] for pk in ids if pk in names] for key, ids in lists.items()},
        }
        return Response(SimulationSerializer(data).data)


# Enrollments -----------------------------------------------------------------------------------
FORBIDDEN_STEP = OpenApiResponse(
    DomainErrorSerializer,
    description="The user may not take this step for this merchant (`forbidden`).",
)
STEP_CONFLICT = OpenApiResponse(
    DomainErrorSerializer,
    description="The enrollment's state does not allow the step (`invalid_state`), every seat of "
    "the cohort is taken (`cohort_full`: approving a waitlisted application), or the merchant "
    "already has an open application to the program (`already_open`).",
)
STEP_REFUSED = OpenApiResponse(
    DomainErrorSerializer,
    description="A guard of the step refused it, e.g. `window_closed`, `not_eligible`, "
    "`belt_restricted`, `override_reason_required`, `reason_required` (a rejection without a "
    "reason). A missing or mistyped field, or a `reason` over 2,000 characters, is code "
    "`invalid` naming that field.",
)

# What each step does, for its documentation; the services say what they guarantee.
STEP_DOCS = {
    Step.SUBMIT: (
        "Submit a draft for review",
        "The merchant's owner or operators, or staff of a center serving its belt. Needs the "
        "cohort's window open and the merchant eligible, unless staff override eligibility with "
        "a written `reason`.",
    ),
    Step.START_REVIEW: (
        "Take a submitted application into review",
        "Reviewers and managers of a center serving the merchant's belt.",
    ),
    Step.APPROVE: (
        "Approve an application in review or on the waitlist",
        "Reviewers and managers. Seats are counted under the cohort's row lock, so concurrent "
        "approvals never overbook: an application in review that finds every seat taken is "
        "waitlisted instead (the answer is 200 with state `waitlisted`); a waitlisted one stays "
        "waitlisted and the answer is 409 `cohort_full`.",
    ),
    Step.WAITLIST: (
        "Put an application in review on the waitlist",
        "Reviewers and managers.",
    ),
    Step.REJECT: (
        "Reject an application in review or on the waitlist",
        "Reviewers and managers, with a written `reason` (the merchant is told it): without one, "
        "or with only spaces, the answer is 400 `reason_required` (field `reason`), as in the "
        "console.",
    ),
    Step.ACTIVATE: ("Start an approved enrollment", "Managers."),
    Step.GRADUATE: ("Confirm the graduation of an active enrollment", "Managers."),
    Step.REVOKE: (
        "Revoke an approved or active enrollment",
        "Managers. The freed seat goes to the first of the waitlist in the same transaction.",
    ),
    Step.WITHDRAW: (
        "Withdraw an open application or enrollment",
        "The merchant. A freed seat goes to the first of the waitlist in the same transaction.",
    ),
}


def _step_action(step: Step):
    """The ``POST …/enrollments/{id}/<step>/`` action calling ``enrollments.enrollment_<step>``."""
    summary, description = STEP_DOCS[step]
    body = EnrollmentSubmitSerializer if step == Step.SUBMIT else EnrollmentStepSerializer

    def take_step(self, request: Request, pk=None) -> Response:
        enrollment = self.get_object()
        serializer = body(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = getattr(enrollments, f"enrollment_{step}")
        service(enrollment=enrollment, actor=request.user, **serializer.validated_data)
        return self._detail(enrollment)

    # The router finds the action by its name: it must be the attribute's.
    take_step.__name__ = str(step)
    take_step = action(detail=True, methods=["post"], url_path=step_path(step))(take_step)
    return extend_schema(
        summary=summary,
        description=description + " Any enrollment the user may not see is a 404.",
        request=body,
        responses={
            200: EnrollmentSerializer,
            400: STEP_REFUSED,
            403: FORBIDDEN_STEP,
            409: STEP_CONFLICT,
        },
    )(take_step)


@extend_schema_view(
    list=extend_schema(
        summary="Enrollments the user may read",
        description="Staff see the enrollments of the belts their centers serve, a merchant's "
        "owner or operators those of their merchants, superusers all. Each comes with its "
        "history and the steps the requesting user may take now.",
    ),
    retrieve=extend_schema(
        summary="One enrollment",
        description="Any enrollment the user may not read, like one that does not exist, is a 404.",
    ),
    create=extend_schema(
        summary="Apply: create a draft and submit it",
        description="The merchant's owner or operators, or staff of a center serving its belt. "
        "Creates the draft and, unless `submit` is false, submits it, in one transaction: if "
        "submitting is refused (e.g. `not_eligible`), nothing is written.",
        request=EnrollmentCreateSerializer,
        responses={
            201: EnrollmentSerializer,
            400: STEP_REFUSED,
            403: FORBIDDEN_STEP,
            409: STEP_CONFLICT,
        },
    ),
)
class EnrollmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Integrations and portals drive enrollments here; every write is a service call with the
    requesting user as the actor, so the API checks exactly what the console checks."""

    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Enrollment.objects.none()
        return selectors.enrollment_list(user=self.request.user)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["roles"] = self._roles()
        return context

    def _roles(self) -> Callable:
        # One actor per request: what the user is to every merchant is loaded once (two
        # queries) however many enrollments the page shows. The services build their own.
        actor = getattr(self, "_actor", None)
        if actor is None:
            actor = self._actor = enrollments.EnrollmentActor(self.request.user)
        return actor.roles

    def _detail(self, enrollment: Enrollment, status_code: int = status.HTTP_200_OK) -> Response:
        # Read back through the selector, so the answer has the same shape as a GET.
        fresh = self.get_queryset().get(pk=enrollment.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = EnrollmentCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enrollment = enrollments.enrollment_apply(
            merchant=data["merchant"],
            cohort=data["cohort"],
            actor=request.user,
            submit=data["submit"],
            override_reason=data["override_reason"],
        )
        return self._detail(enrollment, status.HTTP_201_CREATED)

    submit = _step_action(Step.SUBMIT)
    start_review = _step_action(Step.START_REVIEW)
    approve = _step_action(Step.APPROVE)
    waitlist = _step_action(Step.WAITLIST)
    reject = _step_action(Step.REJECT)
    activate = _step_action(Step.ACTIVATE)
    graduate = _step_action(Step.GRADUATE)
    revoke = _step_action(Step.REVOKE)
    withdraw = _step_action(Step.WITHDRAW)
