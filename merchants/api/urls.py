"""The merchants app's API routes, aggregated by ``config/api_router.py`` into the one router."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<endpoint_id>\d+)/deliveries",
    views.WebhookDeliveryViewSet,
    basename="webhook-delivery",
)
