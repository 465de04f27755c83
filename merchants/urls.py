"""Portal pages of the merchants app, mounted under ``/portal/``."""

from django.urls import path

from . import views

app_name = "merchants"
urlpatterns = [
    path("metrics/", views.merchant_metrics, name="metrics"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox-read-all"),
    path("inbox/<int:notification_id>/read/", views.inbox_mark_read, name="inbox-read"),
    path("preferences/", views.notification_preferences, name="preferences"),
    path("keys/", views.api_keys, name="api-keys"),
    path("keys/<str:prefix>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
]
