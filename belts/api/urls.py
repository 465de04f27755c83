"""The belts app's API routes, aggregated by ``config/api_router.py`` into the one router."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("cities", views.CityViewSet, basename="city")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("belts", views.IndustrialBeltViewSet, basename="belt")
router.register("operation-centers", views.OperationCenterViewSet, basename="operation-center")
router.register("belt-year-stats", views.BeltYearStatViewSet, basename="belt-year-stat")
