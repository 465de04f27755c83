"""The programs app's API routes, aggregated by ``config/api_router.py`` into the one router."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="program")
