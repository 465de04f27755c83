"""API of the logistics app: thin callers of its selectors and services.

Scope is ``logistics.scoping``'s: whoever may see a shipment's merchant sees the shipment, a
provider's key the shipments it carries a leg of. A shipment, hand-over or incident outside the
caller's scope is a 404, like one that does not exist; a body naming one is a 400 on that field,
worded as for a missing id. The services decide who may take a step on a visible row
(``LogisticsForbidden``: 403) and every other rule (``LogisticsError``: 400 with its code, e.g.
``previous_missing``, ``invalid_photo``, ``reason_required``), answered in the one error shape by
``config.api_exceptions``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from logistics import selectors
from logistics.filtersets import IncidentFilterSet, ShipmentFilterSet
from logistics.models import ConditionCheck, Incident, ServiceProvider, Shipment
from logistics.photo_files import photo_response
from logistics.scoping import provider_id_of
from logistics.scorecards import provider_scorecards
from logistics.services.handovers import handover_correct, handover_record
from logistics.services.incidents import incident_report, incident_resolve
from logistics.services.shipments import LegSpec, shipment_create
from merchants import selectors as merchant_selectors
from merchants.api.pagination import NewestFirstCursorPagination
from merchants.api.serializers import DomainErrorSerializer

from .serializers import (
    HandoverCreateSerializer,
    HandoverJSONSerializer,
    HandoverSerializer,
    HandoverUpdateJSONSerializer,
    HandoverUpdateSerializer,
    IncidentCreateSerializer,
    IncidentResolveSerializer,
    IncidentSerializer,
    ProviderSerializer,
    ScorecardQuerySerializer,
    ScorecardSerializer,
    ShipmentCreateSerializer,
    ShipmentDetailSerializer,
    ShipmentSerializer,
)

NOT_FOUND = OpenApiResponse(
    DomainErrorSerializer,
    description="No such object among those the caller may see (one outside the caller's "
    "scope is answered exactly like one that does not exist).",
)
FORBIDDEN_STEP = OpenApiResponse(
    DomainErrorSerializer,
    description="The caller sees the row but may not take this step (`forbidden`): e.g. a "
    "provider recording a hand-over of legs it does not run, anyone but the serving staff "
    "resolving an incident, a provider's key creating a shipment.",
)
HANDOVER_REFUSED = OpenApiResponse(
    DomainErrorSerializer,
    description="Nothing was saved, no photo stored. `previous_missing` (hand-over k needs "
    "k - 1), `already_recorded` (correct it with PATCH), `invalid_handover` (no such index), "
    "`time_goes_back`, `invalid_photo` codes of the photos (`photo_not_image`, "
    "`photo_too_large`, `photo_empty`, `photo_wrong_extension`, `too_many_photos`), or "
    "`invalid` for a missing or mistyped field.",
)
SHIPMENT_REFUSED = OpenApiResponse(
    DomainErrorSerializer,
    description="Nothing was written: `invalid_legs` (each bad leg under `details`, `index` "
    "from 0), `no_legs`, `too_many_legs`, `duplicate_order`, or `invalid` naming the field (a "
    "merchant out of scope reads as one that does not exist; `merchant` is required for "
    "staff).",
)
RESOLVE_REFUSED = OpenApiResponse(
    DomainErrorSerializer,
    description="`reason_required` (an unattributed incident needs a `note`), "
    "`no_attributed_provider` (the provider bears a cost only when a leg is attributed), "
    "`already_resolved`, `invalid_cost`, or `invalid` naming the field.",
)


def _int_or_404(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound from None
    if not 0 < number < 2**63:
        raise NotFound
    return number


class NotAProvider(BasePermission):
    """A provider's key records hand-overs and reads; it creates no shipment."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(view, "action", None) != "create":
            return True
        return provider_id_of(request.user) is None


class MultiPartMixin:
    """JSON as everywhere, and multipart for the photos of a hand-over."""

    def get_parsers(self):
        return [*super().get_parsers(), MultiPartParser()]  # type: ignore[misc]


def _uploads(files: list) -> list[tuple[Any, str]]:
    return [(upload, upload.name or "") for upload in files]


# Providers ---------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="Service providers",
        description="The self-operated network and the contracted carriers and installers, by "
        "name: the ids a shipment's legs name. A provider's key sees its own provider only.",
    ),
    retrieve=extend_schema(summary="One service provider"),
)
class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProviderSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return ServiceProvider.objects.none()
        return selectors.provider_list(user=self.request.user)

    @extend_schema(
        summary="A provider's scorecard",
        description="Per kind of leg, over the legs whose SLA fell due in `[start, end)` (the "
        "last 90 days by default, at most 366) of the shipments the caller may see: on-time "
        "rate, attributed damage per 1,000 legs, unattributed share of the incidents it was "
        "involved in, mean hours to resolution, cost borne (`logistics.scorecards`). A "
        "provider's key reads its own provider's only: any other is a 404.",
        parameters=[ScorecardQuerySerializer],
        responses={200: ScorecardSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def scorecard(self, request: Request, pk: Any = None) -> Response:
        provider = self.get_object()
        query = ScorecardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data
        rows = provider_scorecards(
            user=request.user,
            start=period["start"],
            end=period["end"],
            provider_id=provider.pk,
            kind=period.get("kind"),
        )
        data = {"provider": provider, "start": period["start"], "end": period["end"], "rows": rows}
        return Response(ScorecardSerializer(data).data)


# Shipments ---------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="Shipments the caller may see, newest first",
        description="Whoever may see a merchant sees its shipments (its members and keys, the "
        "staff serving its belt, superusers); a provider's key the shipments it carries a leg "
        "of. Each row has its flags `is_overdue`, `is_damaged`, `has_open_incident`. Filters: "
        "`status`, `merchant`, `overdue`, `damaged`, `has_open_incident` (true or false), "
        "`created_after`, `created_before` (ISO 8601 times, inclusive). Cursor-paged (follow "
        "`next`); `page_size` up to 500; no count.",
    ),
    create=extend_schema(
        summary="Create a shipment with its legs",
        description="Its merchant's members (and key), the staff serving its belt, "
        "superusers; not a provider's key (403). Legs `[{kind, provider, sla_due_at}]` in "
        "order, 1 to 8, SLAs never going back, installation last. All or nothing.",
        request=ShipmentCreateSerializer,
        responses={201: ShipmentDetailSerializer, 400: SHIPMENT_REFUSED, 403: FORBIDDEN_STEP},
    ),
    retrieve=extend_schema(
        summary="One shipment with its chain",
        description="Legs, every hand-over 0..n (recorded or not, with photo URLs), incidents "
        "with their attribution worded in the request's language, and where the goods are.",
        responses={200: ShipmentDetailSerializer, 404: NOT_FOUND},
    ),
)
class ShipmentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilterSet
    pagination_class = NewestFirstCursorPagination
    permission_classes = [IsAuthenticated, NotAProvider]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Shipment.objects.none()
        return selectors.shipment_list(user=self.request.user)

    def _detail(self, request: Request, pk: int, status_code: int = status.HTTP_200_OK):
        try:
            shipment = selectors.shipment_get(user=request.user, pk=pk)
        except Shipment.DoesNotExist:
            raise NotFound from None
        context = {**self.get_serializer_context(), "now": timezone.now()}
        return Response(
            ShipmentDetailSerializer(shipment, context=context).data, status=status_code
        )

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return self._detail(request, _int_or_404(pk))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ShipmentCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        merchant = data.get("merchant") or self._own_merchant(request)
        shipment = shipment_create(
            actor=request.user,
            merchant=merchant,
            order_reference=data["order_reference"],
            item_description=data["item_description"],
            declared_value=data["declared_value"],
            destination_city=data["destination_city"],
            promised_delivery_on=data["promised_delivery_on"],
            promised_installation_on=data.get("promised_installation_on"),
            legs=[
                LegSpec(kind=leg["kind"], provider=leg["provider"], sla_due_at=leg["sla_due_at"])
                for leg in data["legs"]
            ],
        )
        return self._detail(request, shipment.pk, status.HTTP_201_CREATED)

    def _own_merchant(self, request: Request):
        """The merchant of a caller who is a member of exactly one (a merchant's key)."""
        memberships = list(
            merchant_selectors.membership_list(user=request.user).select_related("merchant")[:2]
        )
        if len(memberships) != 1:
            raise ValidationError({"merchant": [_("Name the merchant (its id).")]}, code="required")
        return memberships[0].merchant


# Hand-overs --------------------------------------------------------------------------------------
SHIPMENT_ID = OpenApiParameter("shipment_id", OpenApiTypes.INT, OpenApiParameter.PATH)
INDEX = OpenApiParameter(
    "index",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The hand-over: 0 the pickup, k between legs k and k + 1, n to the buyer.",
)


class ShipmentHandoverListView(MultiPartMixin, APIView):
    """The hand-overs of one shipment, and recording the next."""

    # Photos: up to LOGISTICS_PHOTO_MAX_COUNT of LOGISTICS_PHOTO_MAX_BYTES each.
    max_body_setting = "LOGISTICS_HANDOVER_MAX_BODY_BYTES"

    def _shipment(self, request: Request, shipment_id: int) -> Shipment:
        try:
            return selectors.shipment_visible_get(user=request.user, pk=shipment_id)
        except Shipment.DoesNotExist:
            raise NotFound from None

    def _answer(self, request: Request, checks, status_code: int = status.HTTP_200_OK):
        return Response(
            HandoverSerializer(checks, many=True, context={"request": request}).data,
            status=status_code,
        )

    @extend_schema(
        summary="The recorded hand-overs of a shipment, in order",
        parameters=[SHIPMENT_ID],
        responses={200: HandoverSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, shipment_id: int) -> Response:
        shipment = self._shipment(request, shipment_id)
        return self._answer(request, selectors.handover_list(shipment=shipment))

    @extend_schema(
        summary="Record a hand-over",
        description="The staff serving the merchant, the provider giving or receiving the "
        "goods (its key), the merchant at the pickup (0). In order: hand-over k needs k - 1. "
        "JSON, or `multipart/form-data` with the photos as repeated `photos` parts. One bad "
        "photo refuses the whole hand-over: nothing is saved and no file is kept. The legs' "
        "times, the shipment's status, SLA breaches and the incidents' attribution follow.",
        parameters=[SHIPMENT_ID],
        request={
            "application/json": HandoverJSONSerializer,
            "multipart/form-data": HandoverCreateSerializer,
        },
        responses={
            201: HandoverSerializer,
            400: HANDOVER_REFUSED,
            403: FORBIDDEN_STEP,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, shipment_id: int) -> Response:
        shipment = self._shipment(request, shipment_id)
        serializer = HandoverCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        check = handover_record(
            actor=request.user,
            shipment=shipment,
            index=data["index"],
            condition=data["condition"],
            checked_at=data.get("checked_at"),
            note=data["note"],
            photos=_uploads(data["photos"]),
        )
        fresh = selectors.handover_list(shipment=shipment).get(pk=check.pk)
        return Response(
            HandoverSerializer(fresh, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ShipmentHandoverDetailView(MultiPartMixin, APIView):
    max_body_setting = "LOGISTICS_HANDOVER_MAX_BODY_BYTES"

    def _check(self, request: Request, shipment_id: int, index: int) -> ConditionCheck:
        try:
            return selectors.handover_get(user=request.user, shipment_id=shipment_id, index=index)
        except ConditionCheck.DoesNotExist:
            raise NotFound from None

    @extend_schema(
        summary="One recorded hand-over",
        parameters=[SHIPMENT_ID, INDEX],
        responses={200: HandoverSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, shipment_id: int, index: int) -> Response:
        check = self._check(request, shipment_id, index)
        fresh = selectors.handover_list(shipment=check.shipment).get(pk=check.pk)
        return Response(HandoverSerializer(fresh, context={"request": request}).data)

    @extend_schema(
        summary="Correct a hand-over",
        description="Only the fields sent change (photos sent are added); the correction is "
        "counted, and the shipment's incidents are attributed again. The same people who may "
        "record it may correct it.",
        parameters=[SHIPMENT_ID, INDEX],
        request={
            "application/json": HandoverUpdateJSONSerializer,
            "multipart/form-data": HandoverUpdateSerializer,
        },
        responses={
            200: HandoverSerializer,
            400: HANDOVER_REFUSED,
            403: FORBIDDEN_STEP,
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, shipment_id: int, index: int) -> Response:
        check = self._check(request, shipment_id, index)
        serializer = HandoverUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        corrected = handover_correct(
            actor=request.user,
            check=check,
            condition=data.get("condition"),
            note=data.get("note"),
            checked_at=data.get("checked_at"),
            photos=_uploads(data.get("photos") or []),
        )
        fresh = selectors.handover_list(shipment=check.shipment).get(pk=corrected.pk)
        return Response(HandoverSerializer(fresh, context={"request": request}).data)


# Incidents ---------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="Incidents of the shipments the caller may see, newest first",
        description="Each with its attribution (`status`, `rule`, `leg`, `candidates`, ...) and "
        "its reasoning in the request's language (`Accept-Language: zh-hans` for Chinese). "
        "Filters: `status`, `kind`, `attribution_status`, `shipment`. Cursor-paged.",
    ),
    retrieve=extend_schema(
        summary="One incident", responses={200: IncidentSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Report an incident",
        description="Whoever may see the shipment (a provider's key on the shipments it "
        "carries). It is attributed at once; the merchant (in-app, e-mail, webhooks "
        "subscribed to `shipment_incident`) and the serving staff are told.",
        request=IncidentCreateSerializer,
        responses={201: IncidentSerializer},
    ),
)
class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Incident.objects.none()
        return selectors.incident_list(user=self.request.user)

    def _detail(self, incident: Incident, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.incident_get(user=self.request.user, pk=incident.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = IncidentCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        incident = incident_report(
            actor=request.user,
            shipment=data["shipment"],
            kind=data["kind"],
            description=data["description"],
            reported_at=data.get("reported_at"),
        )
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Resolve an incident",
        description="The staff of a center serving the merchant's belt: what was done, what it "
        "cost, who bears it. An unattributed incident needs a `note`. Once only.",
        request=IncidentResolveSerializer,
        responses={200: IncidentSerializer, 400: RESOLVE_REFUSED, 403: FORBIDDEN_STEP},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        serializer = IncidentResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        resolved = incident_resolve(
            actor=request.user,
            incident=incident,
            resolution=data["resolution"],
            cost=data["cost"],
            bearer=data["bearer"],
            note=data["note"],
        )
        return self._detail(resolved)


class PhotoFileView(APIView):
    """A hand-over photo's bytes, for a caller that may see its shipment."""

    @extend_schema(
        summary="A hand-over photo's file",
        description="The stored photo (JPEG, PNG or WebP, EXIF stripped) of a hand-over, for a "
        "caller that may see its shipment: the merchant's key, the serving center's, a "
        "provider's that carries a leg of it. Anyone else gets a 404, as for a photo that does "
        "not exist. The `url` of a hand-over's photo is this address.",
        responses={
            (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The photo."),
            404: OpenApiResponse(DomainErrorSerializer, description="No such photo."),
        },
    )
    def get(self, request: Request, photo_id: int) -> HttpResponseBase:
        photo = selectors.photo_get(user=request.user, photo_id=photo_id)
        if photo is None:
            raise NotFound(_("No such photo."))
        return photo_response(photo)
