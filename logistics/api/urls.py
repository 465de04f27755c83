"""The logistics app's API routes, aggregated by ``config/api_router.py`` into the one router."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("providers", views.ProviderViewSet, basename="provider")
router.register("shipments", views.ShipmentViewSet, basename="shipment")
router.register("incidents", views.IncidentViewSet, basename="incident")

# A shipment's hand-overs: 0..n, by index, not by id.
urlpatterns = [
    path(
        "shipments/<int:shipment_id>/checks/",
        views.ShipmentHandoverListView.as_view(),
        name="shipment-check-list",
    ),
    path(
        "shipments/<int:shipment_id>/checks/<int:index>/",
        views.ShipmentHandoverDetailView.as_view(),
        name="shipment-check-detail",
    ),
    path("photos/<int:photo_id>/", views.PhotoFileView.as_view(), name="photo-file"),
]
