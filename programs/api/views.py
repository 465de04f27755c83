"""API of the programs app: thin callers of its selectors and services.

Domain errors (``ProgramError``) raised by the services are turned into the API's error shape by
``config.api_exceptions.api_exception_handler``: 400 for bad criteria, 409 for a rule set that
can no longer change.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from merchants import selectors as merchant_selectors
from merchants.api.serializers import DomainErrorSerializer
from programs import selectors
from programs.filtersets import ProgramFilterSet
from programs.models import Eligibility, RuleSet
from programs.services import (
    rule_set_create_draft,
    rule_set_delete_draft,
    rule_set_publish,
    rule_set_simulate,
    rule_set_update_draft,
)

from .filtersets import EligibilityFilterSet, RuleSetFilterSet
from .serializers import (
    EligibilitySerializer,
    ProgramSerializer,
    RuleSetCreateSerializer,
    RuleSetSerializer,
    RuleSetUpdateSerializer,
    SimulationQuerySerializer,
    SimulationSerializer,
)

BAD_CRITERIA = OpenApiResponse(
    DomainErrorSerializer,
    description="Invalid criteria, in the domain error shape with `field` `criteria`. A missing "
    "or mistyped field gives DRF's usual `{field: [messages]}` instead.",
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
        summary="Recorded eligibility of every merchant",
        description="Staff only, until integrations get API keys. Each reason's `message` is in "
        "the request's language.",
    ),
    retrieve=extend_schema(summary="One recorded eligibility"),
)
class EligibilityViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAdminUser]
    serializer_class = EligibilitySerializer
    filterset_class = EligibilityFilterSet

    def get_queryset(self):
        return selectors.eligibility_list()


@extend_schema(
    summary="Eligibility of one merchant",
    description="The merchant's recorded eligibility for every active program. Staff may read "
    "any merchant; a portal user only the merchants they are a member of. Any other merchant, "
    "like one that does not exist, is a 404.",
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
        "program's eligibility is then recomputed for every merchant in the background. Needs "
        "the permission to change rule sets.",
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
        "program's published one, against the eligibility recorded now. Writes nothing. The "
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

        simulation = rule_set_simulate(rule_set=rule_set)
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
