"""The programs app's API routes, aggregated by ``config/api_router.py`` into the one router."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="program")
router.register("rule-sets", views.RuleSetViewSet, basename="rule-set")
router.register("eligibility", views.EligibilityViewSet, basename="eligibility")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")

# Routes that are not a viewset's: one merchant's eligibility, for staff and its members.
urlpatterns = [
    path(
        "merchants/<int:merchant_id>/eligibility/",
        views.MerchantEligibilityView.as_view(),
        name="merchant-eligibility",
    ),
]
