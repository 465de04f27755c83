"""Hand-over photos are answered only to whoever may see their shipment: the merchant's members,
the serving center's staff, a carrier on the chain; by the portal's address (a session) and the
API's (a key or a session). Anyone else gets a 404, as for a photo that does not exist; nothing
is served from a public media address."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from logistics.choices import Condition
from logistics.services.handovers import handover_record
from tests.belts.factories import StaffUserFactory, SuperUserFactory, UserFactory
from tests.logistics.factories import ProviderMembershipFactory, ServiceProviderFactory
from tests.logistics.world import chain_world, image_bytes, upload
from tests.merchants.factories import ApiKeyFactory, MerchantMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo():
    chain = chain_world()
    stored = image_bytes(size=(80, 60))
    check = handover_record(
        actor=chain.reviewer,
        shipment=chain.shipment,
        index=0,
        condition=Condition.DAMAGED,
        photos=[upload(stored, "crack.jpg")],
    )
    photo = check.photos.get()
    with photo.image.open("rb") as file:
        photo.stored = file.read()
    photo.chain = chain
    return photo


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_members_staff_and_carriers_get_the_bytes(photo):
    chain = photo.chain
    carrier = chain.provider_users[chain.providers[1].pk]
    for user in (chain.owner, chain.reviewer, carrier, SuperUserFactory()):
        response = session(user).get(photo.get_absolute_url())
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=86400"
        assert body(response) == photo.stored


def test_anyone_else_gets_a_404_like_a_photo_that_does_not_exist(photo):
    other_provider = ProviderMembershipFactory(provider=ServiceProviderFactory()).user
    other_member = MerchantMembershipFactory().user
    for user in (StaffUserFactory(), other_member, other_provider, UserFactory()):
        client = session(user)
        assert client.get(photo.get_absolute_url()).status_code == 404
        missing = reverse("logistics:photo", args=[photo.pk + 1000])
        assert client.get(missing).status_code == 404


def test_a_visitor_is_sent_to_the_login(photo):
    response = Client().get(photo.get_absolute_url())
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]


def test_the_api_answers_a_key_in_scope_and_404s_the_rest(photo):
    url = reverse("api:photo-file", args=[photo.pk])
    mine = APIClient()
    mine.credentials(
        HTTP_AUTHORIZATION=f"Api-Key {ApiKeyFactory(merchant=photo.chain.served.merchant).raw_key}"
    )
    response = mine.get(url)
    assert response.status_code == 200
    assert body(response) == photo.stored
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {ApiKeyFactory().raw_key}")
    refused = other.get(url)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert APIClient().get(url).status_code in (401, 403)


def test_behind_nginx_the_app_decides_and_the_proxy_sends(photo, settings):
    settings.MEDIA_X_ACCEL_REDIRECT = "/protected-media/"
    response = session(photo.chain.owner).get(photo.get_absolute_url())
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{photo.image.name}"
    assert response.content == b""
    # Refused before any header names the file.
    stranger = session(UserFactory()).get(photo.get_absolute_url())
    assert stranger.status_code == 404
    assert "X-Accel-Redirect" not in stranger
