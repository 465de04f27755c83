"""API of the merchants app: thin callers of its selectors and services.

Everything is scoped by ``merchants.scoping``: staff see the merchants of the belts their
operation centers serve, a merchant's users (and its keys) that merchant, superusers all. A
merchant, metric or notification outside the caller's scope is a 404, like one that does not
exist. The big lists (merchants, metrics, the inbox, deliveries) are cursor-paged: a page is one
query at any depth and nothing is counted.

Webhook endpoints: a merchant's are its members' to read (its owner's to manage), an operation
center's are its staff's, superusers see all; anything else, like a missing id, is a 404. Writing
a merchant's endpoint needs its owner (an operator gets 403 on one they can read).
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants import selectors, webhooks
from merchants.exceptions import MetricError
from merchants.facts import merchant_facts_get
from merchants.filtersets import MerchantFilterSet, MonthlyMetricFilterSet, NotificationFilterSet
from merchants.models import Merchant, MonthlyMetric, Notification, WebhookEndpoint
from merchants.services.metrics import monthly_metrics_upsert, notification_preferences_update
from merchants.services.notifications import notification_mark_read, notifications_mark_all_read

from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import error_response, idempotent
from .pagination import IdCursorPagination, NewestFirstCursorPagination
from .rows import MERCHANT_VALUES, ValuesListMixin, merchant_rows
from .serializers import (
    DomainErrorSerializer,
    MerchantFactsQuerySerializer,
    MerchantFactsSerializer,
    MerchantSerializer,
    MetricsBulkRequestSerializer,
    MetricsBulkResultSerializer,
    MonthlyMetricSerializer,
    NotificationPreferenceSerializer,
    NotificationPreferenceUpdateListSerializer,
    NotificationPreferenceUpdateSerializer,
    NotificationSerializer,
    NotificationsMarkedSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)

# The answers every operation may give besides its own, in the API's one error shape.
UNAUTHENTICATED = OpenApiResponse(DomainErrorSerializer, description="Not signed in.")
FORBIDDEN = OpenApiResponse(
    DomainErrorSerializer, description="Signed in, but not allowed to use this endpoint."
)
NOT_FOUND = OpenApiResponse(
    DomainErrorSerializer,
    description="No such object among those the caller may see (one outside the caller's "
    "scope is answered exactly like one that does not exist).",
)
BAD_QUERY = OpenApiResponse(
    DomainErrorSerializer, description="A filter, cursor or parameter is not valid."
)
THROTTLED = OpenApiResponse(DomainErrorSerializer, description="Too many requests: slow down.")
COMMON = {401: UNAUTHENTICATED, 403: FORBIDDEN, 429: THROTTLED}
LIST_ERRORS = {400: BAD_QUERY, **COMMON}
DETAIL_ERRORS = {404: NOT_FOUND, **COMMON}


# Merchants -------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="Merchants the caller may see",
        description="Staff see the merchants of the belts their operation centers serve, a "
        "merchant's users and keys that merchant, superusers all. Cursor-paged by id (follow "
        "`next`); `page_size` up to 500; no total count.",
        responses={200: MerchantSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One merchant", responses={200: MerchantSerializer, **DETAIL_ERRORS}
    ),
)
class MerchantViewSet(ValuesListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MerchantSerializer
    # The list from .values(), pinned equal to MerchantSerializer (merchants/api/rows.py).
    list_values = MERCHANT_VALUES
    filterset_class = MerchantFilterSet
    pagination_class = IdCursorPagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id"]
    ordering = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Merchant.objects.none()
        return selectors.merchant_list(user=self.request.user)

    def list_rows(self, rows):
        return merchant_rows(rows)

    @extend_schema(
        summary="The facts the eligibility rules see for one merchant",
        description="Computed from the merchant's monthly figures as of `as_of` (default "
        "today): trailing-twelve-month GMV and the twelve months before, year-on-year growth, "
        "live-stream share, live sessions of the last 90 days, refund rate, store age, the "
        "belt's tier.",
        parameters=[MerchantFactsQuerySerializer],
        responses={200: MerchantFactsSerializer, 400: BAD_QUERY, **DETAIL_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def facts(self, request: Request, pk=None) -> Response:
        query = MerchantFactsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        merchant_id = _int_or_404(pk)
        if not selectors.merchant_is_visible(user=request.user, merchant_id=merchant_id):
            raise NotFound
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        facts = merchant_facts_get(merchant_id=merchant_id, as_of=as_of)
        if facts is None:  # deleted meanwhile
            raise NotFound
        return Response(MerchantFactsSerializer(facts).data)


def _int_or_404(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound from None
    if not 0 < number < 2**63:
        raise NotFound
    return number


# Monthly metrics -------------------------------------------------------------------------------
BULK_REFUSED = OpenApiResponse(
    DomainErrorSerializer,
    description="Nothing was written. `invalid_rows`: `details` lists each problem of each bad "
    "row (`index` from 0; at most 100 listed, the message counts the bad rows): a wrong type, "
    "a negative or too precise or too large figure, a refund rate outside [0, 1], a month "
    "that is not a first day or has not started yet, an unknown merchant (one outside the "
    "caller's scope is worded the same), the same merchant and month twice, an unknown "
    "field, live-stream GMV above the month's GMV (the stored one when the row sends none). "
    "`empty`, `too_many_rows` (over 5,000), `invalid` (no `rows` list, or a bad "
    "Idempotency-Key): the request as a whole. A body that is not JSON gives a parse error.",
)
TOO_LARGE = OpenApiResponse(
    DomainErrorSerializer,
    description="`too_large`: the body is longer than `METRICS_BULK_MAX_BYTES` (4 MiB by "
    "default); refused before it is read.",
)
KEY_IN_USE = OpenApiResponse(
    DomainErrorSerializer,
    description="`idempotency_key_in_use`: a request with the same key is still running.",
)
KEY_REUSED = OpenApiResponse(
    DomainErrorSerializer,
    description="`idempotency_key_reused`: the key was used with another body in the last "
    "24 hours.",
)


@extend_schema_view(
    list=extend_schema(
        summary="Monthly figures of the merchants the caller may see",
        description="Cursor-paged by id (follow `next`); `page_size` up to 500; no total "
        "count. `month_after` and `month_before` are inclusive first days of months.",
        responses={200: MonthlyMetricSerializer(many=True), **LIST_ERRORS},
    ),
)
class MonthlyMetricViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    # The API's body limit for these routes (config.api_errors): the bulk write's own.
    max_body_setting = "METRICS_BULK_MAX_BYTES"
    serializer_class = MonthlyMetricSerializer
    filterset_class = MonthlyMetricFilterSet
    pagination_class = IdCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return MonthlyMetric.objects.none()
        return selectors.monthly_metric_scoped_list(user=self.request.user)

    @extend_schema(
        summary="Write many months of figures at once",
        description="Up to 5,000 rows `{merchant, month, <figures>}` in one transaction, all or "
        "nothing. A figure a row leaves out keeps the value stored for that month (a new month "
        "gets 0); a figure sent is written, 0 included. Rows equal to what is stored are "
        "counted `unchanged` and not written. After the commit the eligibility of the "
        "merchants whose figures changed is recomputed in the background.\n\n"
        "Who may write: a merchant's owner and operators (and its keys) for that merchant; "
        "the staff of the operation centers serving the merchant's belt, reviewers included "
        "(the centers' data operators are reviewers); superusers.\n\n"
        "Send an `Idempotency-Key` (1 to 255 printable ASCII characters) to make retries safe: "
        "for 24 hours the same key and body from the same caller get the first answer again, "
        "with `Idempotent-Replayed: true`, and write nothing.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="A key of the caller's choosing, one per distinct batch.",
            )
        ],
        request=MetricsBulkRequestSerializer,
        responses={
            200: MetricsBulkResultSerializer,
            400: BULK_REFUSED,
            409: KEY_IN_USE,
            413: TOO_LARGE,
            422: KEY_REUSED,
            **COMMON,
        },
    )
    @action(detail=False, methods=["post"], url_path="bulk", filter_backends=[])
    def bulk(self, request: Request) -> Response:
        # A body over METRICS_BULK_MAX_BYTES never gets here: the API's middleware answers 413
        # before it is read (``max_body_setting`` above).
        return idempotent(request, scope="metrics-bulk", run=lambda: self._bulk_upsert(request))

    def _bulk_upsert(self, request: Request) -> Response:
        data = request.data
        try:
            if not isinstance(data, dict) or set(data) != {"rows"}:
                raise MetricError(
                    _("Send an object with one key, “rows”: the list of rows."),
                    code="invalid",
                    field="rows",
                )
            counts = monthly_metrics_upsert(
                rows=data["rows"], user=request.user, merchant_key="merchant"
            )
        except MetricError as error:
            # Answered here, with every bad row under "details", whatever the API's handler
            # shows of other errors.
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                error.code,
                error.message,
                field=error.field,
                details=error.details,
            )
        return Response(MetricsBulkResultSerializer(counts).data)


# Notifications ---------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="The caller's inbox, newest first",
        description="The caller's own in-app notifications and those addressed to a merchant "
        "they are a member of. Subject and body in the request's language "
        "(`Accept-Language`). Cursor-paged (follow `next`); `page_size` up to 500.",
        responses={200: NotificationSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One notification of the inbox",
        responses={200: NotificationSerializer, **DETAIL_ERRORS},
    ),
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Notification.objects.none()
        return selectors.inbox_notification_list(user=self.request.user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "language": get_language()}

    @extend_schema(
        summary="Mark one notification read",
        request=None,
        responses={200: NotificationSerializer, **DETAIL_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def read(self, request: Request, pk=None) -> Response:
        notification = self.get_object()
        notification_mark_read(notification=notification)
        notification.refresh_from_db(fields=["read_at"])
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        summary="Mark every unread notification of the inbox read",
        request=None,
        responses={200: NotificationsMarkedSerializer, **COMMON},
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request: Request) -> Response:
        marked = notifications_mark_all_read(
            notifications=selectors.inbox_notification_list(user=request.user)
        )
        return Response(NotificationsMarkedSerializer({"marked": marked}).data)


PREFERENCE_UPDATE = PolymorphicProxySerializer(
    component_name="NotificationPreferenceUpdateRequest",
    serializers=[
        NotificationPreferenceUpdateSerializer,
        NotificationPreferenceUpdateListSerializer(),
    ],
    resource_type_field_name=None,
    many=False,
)
PREFERENCE_UPDATE_DOC = {
    "summary": "Turn e-mail on or off for some kinds of notification",
    "description": "One `{kind, email_enabled}` or a list of them, each kind at most once. Only "
    "the kinds sent change; the answer lists every kind. PUT and PATCH do the same.",
    "responses": {200: NotificationPreferenceSerializer(many=True), 400: BAD_QUERY, **COMMON},
}


class NotificationPreferenceView(APIView):
    """The caller's e-mail preference for each kind of notification (in-app is always on)."""

    @extend_schema(
        summary="The caller's e-mail preference for each kind of notification",
        description="Every kind, with `email_enabled` true unless the caller turned it off.",
        responses={200: NotificationPreferenceSerializer(many=True), **COMMON},
    )
    def get(self, request: Request) -> Response:
        return self._answer(request)

    # PATCH takes the same body as PUT (both fields of each item required), not a "patched"
    # variant with optional fields: the PUT's component, referenced.
    @extend_schema(
        request={
            "application/json": {"$ref": "#/components/schemas/NotificationPreferenceUpdateRequest"}
        },
        **PREFERENCE_UPDATE_DOC,
    )
    def patch(self, request: Request) -> Response:
        return self._update(request)

    @extend_schema(request=PREFERENCE_UPDATE, **PREFERENCE_UPDATE_DOC)
    def put(self, request: Request) -> Response:
        # Like PATCH: the kinds not sent keep their setting (an update changes only what the
        # caller sent), so a client that PUTs one kind does not reset the others.
        return self._update(request)

    def _update(self, request: Request) -> Response:
        if isinstance(request.data, list):
            serializer = NotificationPreferenceUpdateListSerializer(data=request.data)
        else:
            serializer = NotificationPreferenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data
        items = items if isinstance(items, list) else [items]
        notification_preferences_update(
            user=request.user,
            email_enabled={item["kind"]: item["email_enabled"] for item in items},
        )
        return self._answer(request)

    def _answer(self, request: Request) -> Response:
        preferences = selectors.notification_preference_list(user=request.user)
        return Response(NotificationPreferenceSerializer(preferences, many=True).data)


REFUSED_ENDPOINT = OpenApiResponse(
    DomainErrorSerializer,
    description="The endpoint cannot be written so: `unsafe_url` (not https, or a host that "
    "resolves to a private, local or reserved address), `unknown_event`, `no_events`, "
    "`too_many` (20 per owner), `owner_required`. A missing or mistyped field, or an owner "
    "that does not exist or is not yours, is code `invalid` naming that field, in the same "
    "words for both.",
)
NOT_OWNER = OpenApiResponse(
    description="The endpoint is readable but not yours to change (a merchant's operator)."
)


@extend_schema_view(
    list=extend_schema(
        summary="Webhook endpoints the caller may read",
        description="A merchant's members read its endpoints, an operation center's staff the "
        "center's, superusers all. Newest first. The secret is never listed.",
    ),
    retrieve=extend_schema(summary="One webhook endpoint"),
    create=extend_schema(
        summary="Create a webhook endpoint",
        description="For a merchant you own or an operation center you are staff of. The answer "
        "carries the signing `secret`, shown this once (and after a rotation).",
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, 400: REFUSED_ENDPOINT},
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint",
        description="Only the fields sent change. `is_active: true` switches a disabled endpoint "
        "on again and starts its run of failures over.",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, 400: REFUSED_ENDPOINT, 403: NOT_OWNER},
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint and its deliveries",
        responses={204: None, 403: NOT_OWNER},
    ),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    # PATCH only, no PUT: an update changes only what the caller sent.
    serializer_class = WebhookEndpointSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return WebhookEndpoint.objects.none()
        return selectors.webhook_endpoint_list(user=self.request.user)

    def get_writable_object(self) -> WebhookEndpoint:
        """The endpoint in the URL if the caller may manage it: 404 when they may not read it,
        403 when they may read but not change it."""
        endpoint = self.get_object()
        if not (
            selectors.webhook_endpoint_list(user=self.request.user, writable=True)
            .filter(pk=endpoint.pk)
            .exists()
        ):
            raise PermissionDenied
        return endpoint

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = WebhookEndpointCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = webhooks.webhook_endpoint_create(
            merchant=data.get("merchant"),
            operation_center=data.get("operation_center"),
            url=data["url"],
            events=data["events"],
            description=data["description"],
            actor=request.user,
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        endpoint = self.get_writable_object()
        serializer = WebhookEndpointUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = webhooks.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(updated).data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        webhooks.webhook_endpoint_delete(endpoint=self.get_writable_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a test event",
        description="Queues a `ping` delivery to the endpoint through the outbox (also to a "
        "disabled endpoint, to try a fixed receiver before switching it on). Follow it in the "
        "endpoint's deliveries.",
        request=None,
        responses={202: WebhookDeliverySerializer, 403: NOT_OWNER},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk=None) -> Response:
        delivery = webhooks.webhook_ping(endpoint=self.get_writable_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Replace the signing secret",
        description="The old secret stops signing at once; the answer carries the new one, "
        "shown this once.",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, 403: NOT_OWNER},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk=None) -> Response:
        endpoint = webhooks.webhook_endpoint_rotate_secret(endpoint=self.get_writable_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class DeliveryCursorPagination(CursorPagination):
    """Keyset paging of the outbox's deliveries, newest first: no count, a stable page even
    while new deliveries arrive."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema_view(
    list=extend_schema(
        summary="Deliveries to one webhook endpoint, newest first",
        description="Each with its delivery id (`Belt-Ops-Delivery`), event, status, attempts "
        "and what the last attempt got. Paged by cursor: follow `next`. Readable by whoever "
        "may read the endpoint; any other endpoint is a 404.",
        parameters=[OpenApiParameter("endpoint_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliverySerializer
    pagination_class = DeliveryCursorPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Notification.objects.none()
        endpoint = get_object_or_404(
            selectors.webhook_endpoint_list(user=self.request.user),
            pk=self.kwargs["endpoint_id"],
        )
        return selectors.webhook_delivery_list(endpoint=endpoint)
