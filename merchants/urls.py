"""Portal pages of the merchants app, mounted under ``/portal/``."""

from django.urls import path

from . import views

app_name = "merchants"
urlpatterns = [
    path("metrics/", views.merchant_metrics, name="metrics"),
]
