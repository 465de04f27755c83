"""The site's root: a landing page for anyone, and the icon browsers ask for on their own."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_landing_page_points_to_the_portal_the_console_and_the_api_docs(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    for url in (reverse("portal:home"), reverse("admin:index"), reverse("api:docs")):
        assert f'href="{url}"' in html, url
    assert not response.wsgi_request.user.is_authenticated


def test_landing_page_follows_the_language(client):
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    assert b'<html lang="zh-hans">' in client.get("/").content


def test_favicon_ico_answers_with_the_site_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    assert finders.find("favicon.svg"), "the icon is a static file"


@pytest.mark.parametrize("url", ["/", "/portal/login/", "/console/login/"])
def test_pages_link_the_icon(client, url):
    html = client.get(url).content.decode()

    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in html
