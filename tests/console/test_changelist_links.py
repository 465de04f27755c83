"""The console lists' row links, made once per page (``core.admin.ConsoleChangeList``), are the
links Django's own list makes row by row: the change page of each row's key (escaped as the
admin escapes keys), carrying the list's filters, search, ordering and page back."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import resolve

from core.admin import ConsoleChangeList
from merchants.models import Merchant
from tests.merchants.factories import MerchantFactory

from .base import admin_url

pytestmark = pytest.mark.django_db

ROW_LINK = re.compile(r'<th class="field-[^"]*"><a href="([^"]*)"')


def _row_links(client, model, params):
    response = client.get(admin_url(model, "changelist"), params)
    assert response.status_code == 200
    assert isinstance(response.context["cl"], ConsoleChangeList)
    return ROW_LINK.findall(response.content.decode())


def _django_row_links(client, model, params, monkeypatch):
    model_admin = admin.site._registry[model]
    monkeypatch.setattr(type(model_admin), "get_changelist", lambda self, request, **kw: ChangeList)
    response = client.get(admin_url(model, "changelist"), params)
    monkeypatch.undo()
    assert not isinstance(response.context["cl"], ConsoleChangeList)
    return ROW_LINK.findall(response.content.decode())


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "Shop"},
        {"o": "-2", "q": "Shop", "status__exact": "active"},
        {"p": "2"},
    ],
    ids=["plain", "searched", "filtered-and-sorted", "second-page"],
)
def test_row_links_are_djangos(console_client, monkeypatch, params):
    MerchantFactory.create_batch(3, legal_name="Shop & Co / 佛山")
    model_admin = admin.site._registry[Merchant]
    monkeypatch.setattr(type(model_admin), "list_per_page", 2)

    ours = _row_links(console_client, Merchant, params)
    djangos = _django_row_links(console_client, Merchant, params, monkeypatch)
    monkeypatch.setattr(type(model_admin), "list_per_page", 2)

    assert ours, "the page lists rows with links"
    assert ours == djangos
    if params:
        assert all("_changelist_filters=" in link for link in ours)
    else:
        assert all("?" not in link for link in ours)


@pytest.mark.parametrize("key", [7, "a/b_c:d é 1", "100%?x=1&y#z", "[]<>\"'\n"])
def test_a_key_is_linked_as_django_links_it(rf, superuser, key):
    """Any key, however the admin's ``quote`` and the URL's escaping change it."""
    request = rf.get(admin_url(Merchant, "changelist"), {"q": "x", "p": "1"})
    request.user = superuser
    request.resolver_match = resolve(request.path)
    changelist = admin.site._registry[Merchant].get_changelist_instance(request)
    assert isinstance(changelist, ConsoleChangeList)
    row = Merchant(pk=key) if isinstance(key, int) else type("Row", (), {"id": key})()
    carried = "?_changelist_filters=q%3Dx%26p%3D1"

    django_link = ChangeList.url_for_result(changelist, row)
    assert changelist.url_for_result(row) == django_link + carried
