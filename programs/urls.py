"""Portal pages of the programs app, mounted under ``/portal/``."""

from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("eligibility/", views.merchant_eligibility, name="eligibility"),
]
