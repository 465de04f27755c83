"""One scope, every surface: every API route, walked as each kind of caller.

Two sides, A and B: each a belt, the operation center serving it, a merchant with its owner, and
one row of every merchant-scoped resource. The callers: anonymous, A's owner, B's owner, B's
reviewer, a superuser, A's merchant key, B's center key and the key of a provider carrying a leg
of A's shipment. What each may see is the one merchant scope (``merchants/scoping.py``): a row of
A is visible to A's owner and key and to the superuser, and a 404 (never a 403, never a name) to
everyone else; anonymous is a 401. The provider's key sees A's shipment and its incident
(``logistics/scoping.py``), and nothing of any merchant: no merchant, metric, eligibility,
enrollment, notification or webhook.

``ROUTES`` declares every route of the ``api`` namespace; a route added without a declaration
fails ``test_every_api_route_is_declared``, so a new endpoint is walked from its first day.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, reverse
from rest_framework.test import APIClient

from belts.choices import CenterRole
from config import api_router
from logistics.services.provider_keys import provider_api_key_create
from programs.choices import EnrollmentState
from tests.belts.factories import (
    BeltYearStatFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.console.base import admin_url, console_models, model_id
from tests.logistics.factories import (
    IncidentFactory,
    LegFactory,
    ServiceProviderFactory,
    ShipmentFactory,
)
from tests.merchants.factories import (
    ApiKeyFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
    NotificationFactory,
    WebhookEndpointFactory,
)
from tests.programs.factories import CohortFactory, EligibilityFactory, EnrollmentFactory
from tests.utils.world import served_merchant

CALLERS = (
    "anonymous",
    "a_owner",
    "b_owner",
    "b_reviewer",
    "superuser",
    "a_key",
    "b_center_key",
    "a_provider_key",
)
# Who sees the rows of each side.
SEES = {
    "a": {"a_owner", "superuser", "a_key"},
    "b": {"b_owner", "b_reviewer", "superuser", "b_center_key"},
}
STAFF = {"b_reviewer", "superuser", "b_center_key"}
# Webhook endpoints belong to their owner: a merchant's to its members (read) and owner, a
# center's to its staff. Side A's row is merchant A's endpoint, side B's row center B's.
WEBHOOK_SEES = {
    "a": {"a_owner", "a_key", "superuser"},
    "b": {"b_reviewer", "b_center_key", "superuser"},
}


# Shipments and their incidents: the merchant scope, and the provider carrying a leg of A's.
SHIPMENT_SEES = {"a": {*SEES["a"], "a_provider_key"}, "b": SEES["b"]}


# The inbox: a message to a merchant as a whole is its members' (people and keys), nobody else's.
INBOX_SEES = {"a": {"a_owner", "a_key"}, "b": {"b_owner"}}


def _webhook(side: "Side"):
    return side.rows["merchant_webhook" if side.name == "a" else "center_webhook"]


@dataclass
class Side:
    name: str
    merchant: object
    center: object
    owner: object
    rows: dict[str, object] = field(default_factory=dict)


@dataclass
class World:
    a: Side
    b: Side
    clients: dict[str, APIClient]

    def side(self, name: str) -> Side:
        return getattr(self, name)


def _side(name: str) -> Side:
    served = served_merchant()
    merchant, center = served.merchant, served.center
    owner = MerchantMembershipFactory(merchant=merchant, role="owner").user
    side = Side(name=name, merchant=merchant, center=center, owner=owner)
    BeltYearStatFactory(belt=merchant.belt)
    side.rows["eligibility"] = EligibilityFactory(merchant=merchant)
    side.rows["metric"] = MonthlyMetricFactory(merchant=merchant)
    side.rows["notification"] = NotificationFactory(merchant=merchant, recipient=None)
    side.rows["merchant_webhook"] = WebhookEndpointFactory(merchant=merchant)
    side.rows["center_webhook"] = WebhookEndpointFactory(merchant=None, operation_center=center)
    side.rows["enrollment"] = EnrollmentFactory(
        merchant=merchant, cohort=CohortFactory(), state=EnrollmentState.SUBMITTED
    )
    shipment = ShipmentFactory(merchant=merchant)
    LegFactory(
        shipment=shipment, sequence=1, provider=ServiceProviderFactory(name=f"Carrier {name}")
    )
    side.rows["shipment"] = shipment
    side.rows["incident"] = IncidentFactory(shipment=shipment)
    return side


def _client(user=None, raw_key: str | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    if raw_key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def _provider_key(side: Side) -> str:
    """A key of the provider running side's shipment's leg."""
    provider = side.rows["shipment"].legs.get().provider
    return provider_api_key_create(actor=None, provider=provider, name="Scanner")[1]


@pytest.fixture
def world(db) -> World:
    a, b = _side("a"), _side("b")
    reviewer = OperationCenterMembershipFactory(center=b.center, role=CenterRole.REVIEWER).user
    return World(
        a=a,
        b=b,
        clients={
            "anonymous": _client(),
            "a_owner": _client(a.owner),
            "b_owner": _client(b.owner),
            "b_reviewer": _client(reviewer),
            "superuser": _client(SuperUserFactory()),
            "a_key": _client(raw_key=ApiKeyFactory(merchant=a.merchant).raw_key),
            "b_center_key": _client(raw_key=ApiKeyFactory(center=b.center).raw_key),
            "a_provider_key": _client(raw_key=_provider_key(a)),
        },
    )


# The declarations --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scoped:
    """A merchant-scoped resource: its list, its detail, and how to reach one side's row."""

    list_name: str
    detail_name: str | None  # None: a list without a detail route
    row: Callable[[Side], object]
    detail_kwargs: Callable[[object], dict] = lambda row: {"pk": row.pk}
    # Who sees each side's row, when not the merchant scope (SEES).
    sees: dict[str, set[str]] | None = None


@dataclass(frozen=True)
class Reference:
    """Shared reference data: any authenticated caller reads it, staff-only when said."""

    names: tuple[str, ...]
    staff_only: bool = False


@dataclass(frozen=True)
class Step:
    """A write on one row (POST): out of scope it is a 404, like a row that does not exist."""

    name: str
    row: Callable[[Side], object]
    body: dict = field(default_factory=dict)
    sees: dict[str, set[str]] | None = None


@dataclass(frozen=True)
class PerMerchant:
    """A route under ``merchants/<merchant_id>/``: the merchant's own data."""

    name: str


@dataclass(frozen=True)
class Covered:
    """Routes checked elsewhere, named with where."""

    names: tuple[str, ...]
    where: str


STEPS = (
    "submit",
    "start-review",
    "approve",
    "waitlist",
    "reject",
    "activate",
    "graduate",
    "revoke",
    "withdraw",
)
ROUTES = [
    Reference(
        (
            "city-list",
            "city-detail",
            "category-list",
            "category-detail",
            "belt-list",
            "belt-detail",
            "belt-geo",
            "operation-center-list",
            "operation-center-detail",
            "belt-year-stat-list",
            "belt-year-stat-detail",
            "program-list",
            "program-detail",
            "api-root",
        )
    ),
    Reference(("rule-set-list", "rule-set-detail"), staff_only=True),
    Scoped("eligibility-list", "eligibility-detail", lambda side: side.rows["eligibility"]),
    Scoped("enrollment-list", "enrollment-detail", lambda side: side.rows["enrollment"]),
    *[
        Step(f"enrollment-{step}", lambda side: side.rows["enrollment"], {"reason": "x"})
        for step in STEPS
    ],
    PerMerchant("merchant-eligibility"),
    Scoped("merchant-list", "merchant-detail", lambda side: side.merchant),
    Scoped("merchant-list", "merchant-facts", lambda side: side.merchant),
    Scoped("metric-list", None, lambda side: side.rows["metric"]),
    Scoped(
        "notification-list",
        "notification-detail",
        lambda side: side.rows["notification"],
        sees=INBOX_SEES,
    ),
    Step("notification-read", lambda side: side.rows["notification"], sees=INBOX_SEES),
    Covered(
        ("metric-bulk", "notification-read-all", "notification-preferences"),
        "test_bulk_metrics_of_a_merchant_out_of_scope_read_as_unknown, "
        "test_read_all_marks_only_ones_own, test_preferences_are_ones_own (below)",
    ),
    Scoped("webhook-list", "webhook-detail", _webhook, sees=WEBHOOK_SEES),
    Scoped(
        "webhook-list",
        "webhook-delivery-list",
        _webhook,
        detail_kwargs=lambda row: {"endpoint_id": row.pk},
        sees=WEBHOOK_SEES,
    ),
    Step("webhook-ping", _webhook, sees=WEBHOOK_SEES),
    Step("webhook-rotate-secret", _webhook, sees=WEBHOOK_SEES),
    Scoped(
        "shipment-list",
        "shipment-detail",
        lambda side: side.rows["shipment"],
        sees=SHIPMENT_SEES,
    ),
    Scoped(
        "shipment-list",
        "shipment-check-list",
        lambda side: side.rows["shipment"],
        detail_kwargs=lambda row: {"shipment_id": row.pk},
        sees=SHIPMENT_SEES,
    ),
    Scoped(
        "incident-list",
        "incident-detail",
        lambda side: side.rows["incident"],
        sees=SHIPMENT_SEES,
    ),
    Step(
        "incident-resolve",
        lambda side: side.rows["incident"],
        {"resolution": "repair", "cost": "10.00", "bearer": "platform", "note": "x"},
        sees=SHIPMENT_SEES,
    ),
    Covered(
        ("provider-list", "provider-detail", "provider-scorecard", "shipment-check-detail"),
        "tests/api/test_logistics.py (a provider's key reads its own provider only; a "
        "hand-over out of scope is a 404 like the shipment's)",
    ),
    Covered(
        ("photo-file",),
        "tests/logistics/test_photo_files.py (the merchant's key gets the bytes, another key a "
        "404 in the error shape, a visitor is refused)",
    ),
    Covered(
        ("rule-set-publish", "rule-set-simulate"),
        "tests/api/test_rule_sets.py (staff only; simulate lists only the caller's scope)",
    ),
    Covered(("schema", "docs"), "tests/api/test_schema.py and test_api_keys.py"),
    Covered(("not-found",), "tests/api/test_errors.py"),
]


def _declared_names() -> set[str]:
    names: set[str] = set()
    for route in ROUTES:
        if isinstance(route, Reference | Covered):
            names.update(route.names)
        elif isinstance(route, Scoped):
            names.update({route.list_name, route.detail_name})
        else:
            names.add(route.name)
    return names


def _api_route_names(patterns=None) -> set[str]:
    names = set()
    for pattern in patterns if patterns is not None else api_router.urlpatterns:
        if isinstance(pattern, URLResolver):
            names |= _api_route_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_api_route_is_declared():
    undeclared = sorted(_api_route_names() - _declared_names())
    assert not undeclared, f"declare these routes in ROUTES: {undeclared}"


def _ids(response) -> set:
    return {row["id"] for row in response.data["results"]}


def _routes(kind):
    return [route for route in ROUTES if isinstance(route, kind)]


# The walk ----------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
class TestEveryCaller:
    @pytest.mark.parametrize("route", _routes(Scoped), ids=lambda r: r.list_name)
    def test_scoped_lists_and_details(self, world, caller, route):
        client = world.clients[caller]
        listed = client.get(reverse(f"api:{route.list_name}"))
        if caller == "anonymous":
            assert listed.status_code == 401
        else:
            assert listed.status_code == 200, listed.data
        for name in ("a", "b"):
            row = route.row(world.side(name))
            if caller == "anonymous":
                continue
            visible = caller in (route.sees or SEES)[name]
            assert (row.pk in _ids(listed)) == visible, name
            if route.detail_name is None:
                continue
            url = reverse(f"api:{route.detail_name}", kwargs=route.detail_kwargs(row))
            response = client.get(url)
            assert response.status_code == (200 if visible else 404), (name, response.data)

    @pytest.mark.parametrize("route", _routes(Reference), ids=lambda r: r.names[0])
    def test_reference_data(self, world, caller, route):
        client = world.clients[caller]
        for name in route.names:
            if name.endswith("-detail"):
                list_response = world.clients["superuser"].get(
                    reverse(f"api:{name.replace('-detail', '-list')}")
                )
                results = list_response.data["results"]
                assert results, f"the world holds no {name} row"
                url = reverse(f"api:{name}", kwargs={"pk": results[0]["id"]})
            else:
                url = reverse(f"api:{name}")
            status = client.get(url).status_code
            if caller == "anonymous":
                assert status == 401, name
            elif route.staff_only and caller not in STAFF:
                assert status == 403, name
            else:
                assert status == 200, name

    @pytest.mark.parametrize("route", _routes(Step), ids=lambda r: r.name)
    def test_a_step_on_a_row_out_of_scope_is_a_404(self, world, caller, route):
        client = world.clients[caller]
        for name in ("a", "b"):
            if caller in (route.sees or SEES)[name]:
                continue  # the resource's own tests decide what the allowed may do
            row = route.row(world.side(name))
            response = client.post(reverse(f"api:{route.name}", kwargs={"pk": row.pk}), route.body)
            assert response.status_code == (401 if caller == "anonymous" else 404), response.data
            after = type(row).objects.get(pk=row.pk)
            assert model_to_dict(after) == model_to_dict(row)  # nothing changed
            if caller != "anonymous":
                assert world.side(name).merchant.shop_name not in str(response.data)

    @pytest.mark.parametrize("route", _routes(PerMerchant), ids=lambda r: r.name)
    def test_per_merchant_routes(self, world, caller, route):
        client = world.clients[caller]
        for name in ("a", "b"):
            merchant = world.side(name).merchant
            response = client.get(reverse(f"api:{route.name}", kwargs={"merchant_id": merchant.pk}))
            if caller == "anonymous":
                assert response.status_code == 401
            else:
                assert response.status_code == (200 if caller in SEES[name] else 404), name


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_bulk_metrics_of_a_merchant_out_of_scope_read_as_unknown(world, caller):
    client = world.clients[caller]
    month = MonthlyMetricFactory._meta.declarations["month"]
    url = reverse("api:metric-bulk")
    for name in ("a", "b"):
        metric = world.side(name).rows["metric"]
        body = {"rows": [{"merchant": metric.merchant_id, "month": str(month), "orders": 999}]}
        response = client.post(url, body, format="json")
        metric.refresh_from_db()
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller in SEES[name]:
            assert response.status_code == 200, response.data
            assert metric.orders == 999
        else:
            assert response.status_code == 400
            assert metric.orders != 999
            missing = client.post(
                url,
                {"rows": [{"merchant": 2_000_000_000, "month": str(month), "orders": 999}]},
                format="json",
            )
            # Word for word the answer for a merchant that does not exist, but for the id.
            mine = str(response.data).replace(f"merchant {metric.merchant_id} ", "merchant <id> ")
            assert mine == str(missing.data).replace("merchant 2000000000 ", "merchant <id> ")


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_read_all_marks_only_ones_own(world, caller):
    response = world.clients[caller].post(reverse("api:notification-read-all"))
    assert response.status_code == (401 if caller == "anonymous" else 200)
    for name in ("a", "b"):
        notification = world.side(name).rows["notification"]
        notification.refresh_from_db()
        assert (notification.read_at is not None) == (caller in INBOX_SEES[name]), name


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_preferences_are_ones_own(world, caller):
    client = world.clients[caller]
    url = reverse("api:notification-preferences")
    if caller == "anonymous":
        assert client.get(url).status_code == 401
        return
    response = client.patch(url, {"kind": "general", "email_enabled": False}, format="json")
    assert response.status_code == 200, response.data
    # Nobody else's preference moved: every other caller still gets e-mail for "general".
    for other, other_client in world.clients.items():
        if other in {caller, "anonymous"}:
            continue
        rows = {row["kind"]: row for row in other_client.get(url).data}
        assert rows["general"]["email_enabled"] is True, other


# The console, for the same callers -------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("model", console_models(), ids=model_id)
def test_the_console_is_closed_to_anonymous_and_merchant_users(world, model, client):
    """Another center's reviewer sees only their centers' rows there: tests/console/
    test_scoping.py walks every console model as one. Merchants' users never get in."""
    url = admin_url(model, "changelist")
    for user in (None, world.a.owner, world.b.owner):
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302, (model, user)
        assert response["Location"].startswith(reverse("admin:login"))
