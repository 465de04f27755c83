"""API of the merchants app: webhook endpoints and their deliveries. Thin callers of the
selectors (who may see and manage what) and of the services in ``merchants.webhooks``.

Reading: a merchant's endpoints are its members' (owner and operators), an operation center's
are its staff's, superusers read all; anything else, like a missing id, is a 404. Writing a
merchant's endpoint needs its owner (an operator gets 403 on one they can read).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from merchants import selectors, webhooks
from merchants.models import Notification, WebhookEndpoint

from .serializers import (
    DomainErrorSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)

REFUSED_ENDPOINT = OpenApiResponse(
    DomainErrorSerializer,
    description="The endpoint cannot be written so: `unsafe_url` (not https, or a host that "
    "resolves to a private, local or reserved address), `unknown_event`, `no_events`, "
    "`too_many` (20 per owner), `owner_required`. A missing or mistyped field, or an owner "
    "that does not exist or is not yours, gives DRF's usual `{field: [messages]}` instead.",
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
