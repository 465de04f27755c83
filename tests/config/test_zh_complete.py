"""Every portal and console page, rendered in Simplified Chinese, holds no untranslated English.

The pages are found, not listed: the portal's routes from the URL configuration (a route with
parameters needs its arguments in ``PORTAL_ARGUMENTS``, or it fails here until it has them), the
console's from its registry (each model admin's list, add and change pages and its own extra
pages, the app lists with what ``console_pages`` adds). A page someone adds is checked the day it
is added.

The world has a row of every console model, its names in Chinese where the model has a Chinese
name (``name_zh``): an English ``name`` or ``slug`` of such a row on a Chinese page is a leak. The
other short data (shop names, logins, codes, references) is data, and its words are allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.db import models
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from belts.choices import CenterRole
from belts.models import IndustrialBelt
from programs.choices import EnrollmentState as S
from programs.criteria import CRITERIA
from programs.models import Cohort
from programs.reasons import ReasonCode
from tests.belts.factories import (
    OperationCenterMembershipFactory,
    StaffUserFactory,
    SuperUserFactory,
    UserFactory,
)
from tests.console.factories_extra import FACTORY_FOR_MODEL, add_children
from tests.console.test_scoping import reviewers_group
from tests.logistics.factories import LegFactory, ShipmentFactory
from tests.merchants.factories import (
    ApiKeyFactory,
    MerchantFactory,
    MerchantMembershipFactory,
    NotificationFactory,
)
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentEventFactory,
    EnrollmentFactory,
)
from tests.utils.untranslated import data_words, untranslated

pytestmark = pytest.mark.django_db

CONSOLE_APPS = ("belts", "merchants", "programs", "logistics")
ZH = "zh-hans"


@dataclass
class World:
    merchant_user: Any
    reviewer: Any
    superuser: Any
    merchant: Any
    shipment: Any
    allowed: set[str]


def _give_chinese_names() -> None:
    """Every row of a model with a Chinese name gets one (the factories leave it blank)."""
    for model in apps.get_models():
        if model._meta.proxy or "name_zh" not in {f.name for f in model._meta.get_fields()}:
            continue
        for row in model.objects.filter(name_zh=""):
            row.name_zh = f"中文名称{row.pk}"
            row.save(update_fields=["name_zh"])


def _is_localized(model) -> bool:
    return "name_zh" in {f.name for f in model._meta.get_fields()}


def _values(model, names: list[str]) -> list[str]:
    if not names:
        return []
    return [str(value) for row in model.objects.values_list(*names) for value in row if value]


def _data_allowed() -> set[str]:
    """The words of the world's data that is the same in every language: what a person typed
    or a system issued (shop names, logins, references, descriptions, file names), the
    criteria's type codes, group names. Not the ``name`` or ``slug`` of a row that has a
    Chinese name: other pages show that row by its Chinese name."""
    values = _values(get_user_model(), ["username", "email"]) + _values(Group, ["name"])
    # Django stores its permissions' names as English text ("Can view city"), labelled with
    # their app's name (a library's own, "API Key Permissions"): data here.
    values += _values(Permission, ["name"])
    values += [str(config.verbose_name) for config in apps.get_app_configs()]
    values += list(CRITERIA)
    for model in apps.get_models():
        if model._meta.proxy or model._meta.app_label not in CONSOLE_APPS:
            continue
        localized = _is_localized(model)
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.FileField)
            and not f.choices
            and not (localized and f.name in {"name", "slug"})
        ]
        values += _values(model, names)
    return data_words(values)


def _own_names(model) -> set[str]:
    """A localized model's own pages edit both names: there its English name and slug are the
    data on the page."""
    if model is None or model._meta.proxy or not _is_localized(model):
        return set()
    fields = {f.name for f in model._meta.concrete_fields} & {"name", "slug"}
    return data_words(_values(model, sorted(fields)))


@pytest.fixture
def world(db) -> World:
    for factory in FACTORY_FOR_MODEL.values():
        add_children(factory())
    merchant = MerchantFactory()
    merchant_user = UserFactory(first_name="芳", last_name="王")
    MerchantMembershipFactory(merchant=merchant, user=merchant_user, role="owner")
    reviewer = StaffUserFactory(first_name="伟", last_name="李")
    reviewer.groups.add(reviewers_group())
    OperationCenterMembershipFactory(user=reviewer, role=CenterRole.REVIEWER).center.belts.add(
        merchant.belt
    )
    superuser = SuperUserFactory()
    eligibility = EligibilityFactory(merchant=merchant)
    cohort = CohortFactory(program=eligibility.program)
    # An application with the history the workflow writes: notes of its own, a reviewer's words.
    enrollment = EnrollmentFactory(merchant=merchant, cohort=cohort, state=S.APPROVED)
    for from_state, to_state, actor, code, typed in [
        ("", S.DRAFT, merchant_user, ReasonCode.APPLICATION_STARTED, ""),
        (S.DRAFT, S.SUBMITTED, merchant_user, "", ""),
        (S.SUBMITTED, S.IN_REVIEW, reviewer, "", ""),
        (S.IN_REVIEW, S.WAITLISTED, reviewer, ReasonCode.NO_SEAT_WAITLISTED, ""),
        (S.WAITLISTED, S.APPROVED, None, ReasonCode.PROMOTED, ""),
    ]:
        EnrollmentEventFactory(
            enrollment=enrollment,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            reason_code=code,
            reason_params={"seats": 10} if code == ReasonCode.NO_SEAT_WAITLISTED else {},
            reason=typed,
        )
    review = EnrollmentFactory(
        merchant=MerchantFactory(belt=merchant.belt), state=S.SUBMITTED, cohort=cohort
    )
    EnrollmentEventFactory(enrollment=review, from_state=S.DRAFT, to_state=S.SUBMITTED)
    NotificationFactory(merchant=merchant, recipient=merchant_user)
    ApiKeyFactory(merchant=merchant)
    shipment = ShipmentFactory(merchant=merchant)
    LegFactory(shipment=shipment)
    _give_chinese_names()
    return World(
        merchant_user=merchant_user,
        reviewer=reviewer,
        superuser=superuser,
        merchant=merchant,
        shipment=shipment,
        allowed=_data_allowed(),
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = ZH
    return client


def _leaks(
    client: Client, urls: list[str], allowed: set[str], models_of: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Each page's English (a page that is not a 200 is named with its status)."""
    found: dict[str, list[str]] = {}
    for url in urls:
        page_allowed = allowed | _own_names((models_of or {}).get(url))
        response = client.get(url)
        # A redirect (to a page crawled here), POST only, or a page this user may not use.
        if response.status_code in (301, 302, 403, 405):
            continue
        if response.status_code != 200:
            found[url] = [f"HTTP {response.status_code}"]
            continue
        assert response["Content-Language"] == ZH, url
        english = untranslated(response.content.decode(), allowed=page_allowed)
        if english:
            found[url] = english
    return found


def _report(found: dict[str, list[str]]) -> str:
    return "English on Chinese pages:\n" + "\n".join(
        f"  {url}\n" + "\n".join(f"      {text!r}" for text in texts)
        for url, texts in found.items()
    )


# The portal -------------------------------------------------------------------------------------
# The arguments of the portal's routes that take some (a route not here and not POST-only fails).
PORTAL_ARGUMENTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "logistics:shipment": lambda world: {"shipment_id": world.shipment.pk},
    # A belt's page: the merchant's own belt (the trimmed page) and another one (its reference
    # figures only) are both read, see test_the_portal_belt_pages_speak_chinese.
    "portal:atlas-belt": lambda world: {"slug": world.merchant.belt.slug},
    # The link of a password-reset e-mail (it answers with a redirect to the form it keeps).
    "portal:password-reset-confirm": lambda world: {
        "uidb64": urlsafe_base64_encode(force_bytes(world.merchant_user.pk)),
        "token": default_token_generator.make_token(world.merchant_user),
    },
}
# Routes that take arguments and have nothing to read: they answer only POST, or a file.
PORTAL_POST_ONLY = {
    "programs:apply",
    "programs:withdraw",
    "merchants:inbox-read",
    "merchants:api-key-revoke",
    # A hand-over photo: bytes, no words (tests/logistics/test_photo_files.py).
    "logistics:photo",
}


def _routes(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def portal_routes() -> list[tuple[str, Any]]:
    """(URL name, pattern) of every named route under /portal/."""
    return [
        (name, pattern)
        for route, name, pattern in _routes(get_resolver().url_patterns)
        if route.startswith("portal/")
    ]


def portal_urls(world: World) -> tuple[list[str], list[str]]:
    """The portal's pages to read, and the routes with arguments that nobody said how to fill."""
    urls, unknown = [], []
    for name, pattern in portal_routes():
        if name in {"portal:logout"}:
            continue
        if not pattern.pattern.converters:
            urls.append(reverse(name))
        elif name in PORTAL_ARGUMENTS:
            urls.append(reverse(name, kwargs=PORTAL_ARGUMENTS[name](world)))
        elif name not in PORTAL_POST_ONLY:
            unknown.append(name)
    return urls, unknown


def test_the_portal_speaks_chinese_throughout(world):
    urls, unknown = portal_urls(world)
    assert not unknown, f"add their arguments to PORTAL_ARGUMENTS: {unknown}"
    assert len(urls) >= 8, urls

    found = _leaks(_client(world.merchant_user), urls, world.allowed)

    assert not found, _report(found)


def test_the_portal_belt_pages_speak_chinese(world):
    """Every belt's page as the merchant reads it: its own belt trimmed, the others' reference
    figures."""
    urls = [
        reverse("portal:atlas-belt", args=[slug])
        for slug in IndustrialBelt.objects.order_by("pk").values_list("slug", flat=True)
    ]
    assert len(urls) >= 2, urls

    found = _leaks(_client(world.merchant_user), urls, world.allowed)

    assert not found, _report(found)


def test_the_portal_login_page_speaks_chinese(world):
    client = Client()
    client.cookies["django_language"] = ZH
    found = _leaks(client, [reverse("portal:login")], world.allowed)
    assert not found, _report(found)


# The console ------------------------------------------------------------------------------------
_STANDARD_VIEWS = {"changelist", "add", "change", "delete", "history"}


def console_urls(user) -> dict[str, Any]:
    """The console's pages for ``user``: the index, each app's list, each registered model's
    list, add and change pages (of one row it sees) and the model admin's own pages that take
    nothing or the row, plus what the app lists link to (``console_pages``)."""
    request = RequestFactory().get("/console/")
    request.user = user
    site = admin.site
    urls: dict[str, Any] = {reverse("admin:index"): None}
    for app in site.get_app_list(request):
        urls[app["app_url"]] = None
        for entry in app["models"]:
            model = entry.get("model")
            for url in (entry.get("admin_url"), entry.get("add_url")):
                if url:
                    urls[url] = model
    for model, model_admin in site._registry.items():
        if model._meta.app_label not in CONSOLE_APPS or not model_admin.has_view_permission(
            request
        ):
            continue
        info = model._meta.app_label, model._meta.model_name
        row = model_admin.get_queryset(request).order_by("pk").first()
        if row is not None:
            urls[reverse("admin:{}_{}_change".format(*info), args=[row.pk])] = model
        for pattern in model_admin.get_urls():
            name = pattern.name or ""
            prefix = "{}_{}_".format(*info)
            if not name.startswith(prefix) or name[len(prefix) :] in _STANDARD_VIEWS:
                continue
            converters = set(pattern.pattern.converters)
            if not converters:
                urls[reverse(f"admin:{name}")] = model
            elif converters == {"object_id"} and row is not None:
                urls[reverse(f"admin:{name}", args=[row.pk])] = model
    # The site's own pages that take a belt: the belt atlas's page of every belt (those the
    # user's centers serve show everything, the others their reference figures).
    for slug in IndustrialBelt.objects.order_by("pk").values_list("slug", flat=True):
        urls[reverse("admin:atlas-belt", args=[slug])] = None
    return urls


@pytest.mark.parametrize("who", ["superuser", "reviewer"])
def test_the_console_speaks_chinese_throughout(world, who):
    user = getattr(world, who)
    urls = console_urls(user)
    assert len(urls) >= 30, urls

    found = _leaks(_client(user), list(urls), world.allowed, models_of=urls)

    assert not found, _report(found)


def test_the_console_login_page_speaks_chinese(world):
    client = Client()
    client.cookies["django_language"] = ZH
    found = _leaks(client, [reverse("admin:login")], world.allowed)
    assert not found, _report(found)


# The checker itself -----------------------------------------------------------------------------
def test_the_checker_finds_english_and_skips_what_a_reader_does_not_read():
    html = """
      <html><head><title>申请</title><style>.a{color:red}</style></head><body>
        <h1>我的申请</h1><p>Application started.</p>
        <script>var label = "Not shown";</script>
        <code>gmv_between</code>
        <textarea name="criteria">[{"type": "gmv"}]</textarea>
        <input type="text" name="q" value="what someone typed">
        <input type="submit" value="Save">
        <span title="Edit this">编辑</span>
        <p>共 3 条，第 1 页，v2，导出 CSV，Belt Ops</p>
        <p translate="no">Shop Alpha</p>
        <p>商家 Shop Beta 的申请</p>
      </body></html>
    """

    found = untranslated(html, allowed={"shop", "beta"})

    assert found == ["Application started.", "Save", "Edit this"]


def test_the_checker_reads_runs_across_punctuation_but_not_across_chinese():
    assert untranslated("<p>No seat left: waitlisted.</p>") == ["No seat left: waitlisted."]
    assert untranslated("<p>改良型（me better）</p>") == ["me better"]
    assert untranslated("<p>改良型</p>") == []


def test_the_world_gives_every_named_row_a_chinese_name(world):
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if "name_zh" in fields and not model._meta.proxy:
            assert not model.objects.filter(name_zh="").exists(), model._meta.label


def test_a_cohort_without_its_chinese_name_is_found(world):
    """The crawl's own check: an English name where a Chinese one belongs is reported."""
    Cohort.objects.update(name="Trend-belt SMB intake", name_zh="")

    found = _leaks(_client(world.merchant_user), [reverse("programs:applications")], world.allowed)

    assert found == {reverse("programs:applications"): ["Trend-belt SMB intake"]}


def test_the_portal_history_reads_the_workflow_and_names_people_in_chinese(world):
    page = _client(world.merchant_user).get(reverse("programs:applications")).content.decode()

    for text in ("已开始报名。", "10 个名额均已占满，列入候补。", "系统", "伟 李", "芳 王"):
        assert text in page, text
    assert world.reviewer.username not in page
