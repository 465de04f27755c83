"""The merchants app's API routes, aggregated by ``config/api_router.py`` into the one router."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<endpoint_id>\d+)/deliveries",
    views.WebhookDeliveryViewSet,
    basename="webhook-delivery",
)
# Merchants, their monthly figures (with POST metrics/bulk/), the caller's inbox.
router.register("merchants", views.MerchantViewSet, basename="merchant")
router.register("metrics", views.MonthlyMetricViewSet, basename="metric")
router.register("notifications", views.NotificationViewSet, basename="notification")

# Routes that are not a viewset's: the caller's notification preferences.
urlpatterns = [
    path(
        "notification-preferences/",
        views.NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
]
