"""Portal pages of the logistics app, mounted under ``/portal/``."""

from django.urls import path

from . import views

app_name = "logistics"
urlpatterns = [
    path("shipments/", views.shipment_list, name="shipments"),
    path("shipments/<int:shipment_id>/", views.shipment_detail, name="shipment"),
    path("photos/<int:photo_id>/", views.photo_file, name="photo"),
]
