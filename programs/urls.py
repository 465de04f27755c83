"""Portal pages of the programs app, mounted under ``/portal/``."""

from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("eligibility/", views.merchant_eligibility, name="eligibility"),
    path("applications/", views.application_list, name="applications"),
    path("applications/apply/<int:cohort_id>/", views.application_apply, name="apply"),
    path(
        "applications/<int:enrollment_id>/withdraw/",
        views.application_withdraw,
        name="withdraw",
    ),
]
