"""Logging in and out of the portal, its home, and the language switcher."""

import pytest
from django.urls import reverse

from tests.belts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get(reverse("portal:login"))

    assert response.status_code == 200
    assert b'<html lang="en">' in response.content
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_logging_in_leads_to_the_portal_home(client):
    UserFactory(username="merchant-user")

    response = client.post(
        reverse("portal:login"),
        {"username": "merchant-user", "password": "pass-word-123"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert response.status_code == 200


def test_wrong_password_is_refused(client):
    UserFactory(username="merchant-user")

    response = client.post(
        reverse("portal:login"), {"username": "merchant-user", "password": "nope"}
    )

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert b"errorlist" in response.content


@pytest.mark.parametrize("url_name", ["portal:home", "merchants:metrics"])
def test_anonymous_is_sent_to_the_portal_login(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_home_is_the_merchants_dashboard(owner_client):
    response = owner_client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert response.templates[0].name == "portal/home.html"


def test_logout_is_a_post(owner_client):
    assert owner_client.get(reverse("portal:logout")).status_code == 405

    response = owner_client.post(reverse("portal:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    assert owner_client.get(reverse("merchants:metrics")).status_code == 302


def test_switching_to_simplified_chinese_changes_the_page_language(owner_client):
    metrics_url = reverse("merchants:metrics")
    assert b'<html lang="en">' in owner_client.get(metrics_url).content

    response = owner_client.post(
        reverse("set_language"), {"language": "zh-hans", "next": metrics_url}
    )
    assert response.status_code == 302
    assert response["Location"] == metrics_url

    page = owner_client.get(metrics_url)
    assert b'<html lang="zh-hans">' in page.content
    assert 'aria-pressed="true">简体中文</button>' in page.content.decode()

    owner_client.post(reverse("set_language"), {"language": "en", "next": metrics_url})
    assert b'<html lang="en">' in owner_client.get(metrics_url).content
