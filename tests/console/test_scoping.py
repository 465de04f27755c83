"""Staff see only what their operation centers serve; superusers see everything (issue #4).

Two centers, A and B, each serving a belt with a merchant and one row of every scoped model. A
reviewer of center A, with the permissions of seed_demo's "Reviewers" group, must find B's rows
nowhere: not listed, not searchable, not reachable by URL (404), not touched by a bulk action, not
offered by an autocomplete, a form's choices or a list filter. The checks run over every scoped
console model, so a newly registered model is covered by declaring it in ``SCOPED`` or
``UNSCOPED``.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.admin import RelatedFieldListFilter
from django.contrib.admin.utils import get_model_from_relation
from django.contrib.auth.models import Group, Permission
from django.db import connection, models
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from belts.admin_scoping import CenterScopedAdminMixin
from belts.models import (
    BeltTierChange,
    BeltYearStat,
    Category,
    City,
    IndustrialBelt,
    OperationCenter,
    OperationCenterMembership,
    TierPolicy,
)
from belts.scoping import belt_ids_served_by
from logistics.models import (
    ConditionCheck,
    ConditionCheckPhoto,
    Incident,
    Leg,
    ProviderMembership,
    ServiceProvider,
    Shipment,
    SlaBreach,
)
from merchants.models import (
    ApiKey,
    Merchant,
    MerchantMembership,
    MonthlyMetric,
    Notification,
    NotificationPreference,
    Storefront,
    WebhookEndpoint,
)
from programs.models import (
    Cohort,
    Eligibility,
    Enrollment,
    EnrollmentEvent,
    Program,
    RecomputeRun,
    ReviewQueueItem,
    RuleSet,
)
from tests.belts.factories import (
    BeltYearStatFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
    SuperUserFactory,
)
from tests.logistics.factories import (
    ConditionCheckFactory,
    ConditionCheckPhotoFactory,
    IncidentFactory,
    LegFactory,
    ShipmentFactory,
    SlaBreachFactory,
)
from tests.merchants.factories import (
    MerchantMembershipFactory,
    MonthlyMetricFactory,
    NotificationFactory,
    StorefrontFactory,
    WebhookEndpointFactory,
)
from tests.programs.factories import EligibilityFactory, EnrollmentEventFactory, EnrollmentFactory
from tests.utils.queries import format_queries
from tests.utils.world import served_merchant

from .base import CONSOLE_APPS, admin_url, console_models, model_id
from .factories_extra import BeltTierChangeFactory
from .test_registry import CHANGELIST_QUERIES

# The ORM path from each scoped model to the belt (or, for centers and their staff, the center)
# that decides who sees it.
SCOPED = {
    IndustrialBelt: "id",
    BeltYearStat: "belt",
    BeltTierChange: "belt",
    OperationCenter: "center:pk",
    OperationCenterMembership: "center:center",
    Merchant: "belt",
    Storefront: "merchant__belt",
    MerchantMembership: "merchant__belt",
    MonthlyMetric: "merchant__belt",
    Notification: "merchant__belt",
    WebhookEndpoint: "center:operation_center",
    Eligibility: "merchant__belt",
    Enrollment: "merchant__belt",
    EnrollmentEvent: "enrollment__merchant__belt",
    ReviewQueueItem: "merchant__belt",
    Shipment: "merchant__belt",
    Leg: "shipment__merchant__belt",
    ConditionCheck: "shipment__merchant__belt",
    ConditionCheckPhoto: "check_record__shipment__merchant__belt",
    Incident: "shipment__merchant__belt",
    SlaBreach: "leg__shipment__merchant__belt",
}
# Reference data and program definitions every center shares; a user's own preferences.
# Scoped by a selector of their own rather than one path (a key belongs to a merchant or to a
# center): tests/console/test_api_keys_console.py checks them.
SELECTOR_SCOPED = {ApiKey}
UNSCOPED = {
    RecomputeRun,  # platform-wide figures, operators only (programs.operate_platform)
    City,
    Category,
    TierPolicy,
    Program,
    RuleSet,
    Cohort,
    ServiceProvider,
    NotificationPreference,
    ProviderMembership,  # superusers only
}
SCOPED_MODELS = sorted(SCOPED, key=lambda model: model._meta.label)

# What a non-superuser's request costs beyond a superuser's: their own and their groups'
# permissions, loaded once per request. The scoping itself is a subquery: no query of its own.
PERMISSION_QUERIES = 2


def _model_admin(model):
    return admin.site.get_model_admin(model)


def _pks(objects) -> set:
    return {obj.pk for obj in objects}


@dataclass
class Side:
    """One center, the belt it serves, a staff member, and the rows of every scoped model built
    for that belt."""

    staff: object
    belt: IndustrialBelt
    center: OperationCenter
    merchant: Merchant
    rows: dict[type[models.Model], set] = field(default_factory=dict)

    def one(self, model):
        (pk,) = self.rows[model]
        return model._default_manager.get(pk=pk)


def _snapshot() -> dict[type[models.Model], set]:
    return {model: set(model._default_manager.values_list("pk", flat=True)) for model in SCOPED}


def build_side(staff, shop_name: str, year: int = 2025) -> Side:
    """A center serving a new belt, ``staff`` its reviewer, and one row of each scoped model."""
    before = _snapshot()
    served = served_merchant(shop_name=shop_name, legal_name=f"{shop_name} Co.")
    belt, center, merchant = served.belt, served.center, served.merchant
    OperationCenterMembershipFactory(center=center, user=staff)
    StorefrontFactory(merchant=merchant)
    MerchantMembershipFactory(merchant=merchant)
    MonthlyMetricFactory(merchant=merchant)
    NotificationFactory(merchant=merchant, recipient=None)
    WebhookEndpointFactory(merchant=None, operation_center=center)
    EligibilityFactory(merchant=merchant)
    # Submitted: the one enrollment is also the review queue's row.
    EnrollmentEventFactory(
        enrollment=EnrollmentFactory(
            merchant=merchant, state="submitted", submitted_at=timezone.now()
        )
    )
    shipment = ShipmentFactory(merchant=merchant)
    leg = LegFactory(shipment=shipment)
    ConditionCheckPhotoFactory(check_record=ConditionCheckFactory(giver=leg))
    SlaBreachFactory(leg=leg)
    IncidentFactory(shipment=shipment, responsible_leg=leg)
    BeltYearStatFactory(belt=belt, year=year)
    BeltTierChangeFactory(belt=belt, year=year)
    after = _snapshot()
    side = Side(staff=staff, belt=belt, center=center, merchant=merchant)
    side.rows = {model: after[model] - before[model] for model in SCOPED}
    return side


def reviewers_group() -> Group:
    """Seed_demo's "Reviewers": view everything of the four apps, change merchants and
    enrollments, record enrollment events."""
    group, _created = Group.objects.get_or_create(name="Reviewers")
    permissions = Permission.objects.filter(
        content_type__app_label__in=CONSOLE_APPS, codename__startswith="view_"
    ) | Permission.objects.filter(
        content_type__app_label__in=CONSOLE_APPS,
        codename__in=["change_merchant", "change_enrollment", "add_enrollmentevent"],
    )
    group.permissions.add(*permissions)
    return group


@dataclass
class World:
    a: Side
    b: Side
    reviewer: object
    reviewer_client: Client
    superuser_client: Client


@pytest.fixture
def world(db) -> World:
    reviewer = StaffUserFactory(username="reviewer-a")
    reviewer.groups.add(reviewers_group())
    a = build_side(reviewer, "Foshan Oakworks")
    b = build_side(StaffUserFactory(username="reviewer-b"), "Baigou Trunkmakers")
    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    superuser_client = Client()
    superuser_client.force_login(SuperUserFactory())
    return World(a, b, reviewer, reviewer_client, superuser_client)


def _request_as(user):
    request = RequestFactory().get("/console/")
    request.user = user
    return request


def _listed(client, model, **params) -> set:
    response = client.get(admin_url(model, "changelist"), params)
    assert response.status_code == 200
    return _pks(response.context["cl"].result_list)


# The declaration ---------------------------------------------------------------------------------
def test_every_console_model_is_declared_scoped_or_not():
    undeclared = sorted(
        model._meta.label
        for model in set(console_models()) - set(SCOPED) - UNSCOPED - SELECTOR_SCOPED
    )
    assert not undeclared, f"declare in SCOPED or UNSCOPED: {undeclared}"


@pytest.mark.parametrize(
    "model", [m for m in console_models() if m not in SELECTOR_SCOPED], ids=model_id
)
def test_admin_scoping_matches_the_declaration(model):
    model_admin = _model_admin(model)
    if model in UNSCOPED:
        assert not isinstance(model_admin, CenterScopedAdminMixin)
        return
    assert isinstance(model_admin, CenterScopedAdminMixin)
    kind, _sep, path = SCOPED[model].rpartition(":")
    if kind == "center":
        assert (model_admin.center_path, model_admin.belt_path) == (path, None)
    else:
        assert (model_admin.belt_path, model_admin.center_path) == (path, None)


# Pages -------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("model", SCOPED_MODELS, ids=model_id)
class TestScopedPages:
    def test_changelist_lists_only_own_centers_rows(self, world, model):
        assert _listed(world.reviewer_client, model) == world.a.rows[model]

    def test_superuser_sees_both_centers(self, world, model):
        assert _listed(world.superuser_client, model) >= world.a.rows[model] | world.b.rows[model]

    def test_other_centers_row_is_not_found(self, world, model):
        theirs = world.b.one(model)
        for view in ("change", "history", "delete"):
            response = world.reviewer_client.get(admin_url(model, view, theirs.pk))
            assert response.status_code == 404, view
        # Their own row's page opens (read-only where they may only view).
        response = world.reviewer_client.get(admin_url(model, "change", world.a.one(model).pk))
        assert response.status_code == 200

    def test_other_centers_row_is_not_changed_by_a_post(self, world, model):
        theirs = world.b.one(model)
        response = world.reviewer_client.post(admin_url(model, "change", theirs.pk), {})
        assert response.status_code == 404

    def test_search_finds_nothing_of_another_center(self, world, model):
        shop_name = world.b.merchant.shop_name
        assert not _listed(world.reviewer_client, model, q=shop_name)
        if any(path.endswith("shop_name") for path in _model_admin(model).search_fields):
            # The search does look at merchants' names: the superuser finds B's rows.
            assert _listed(world.superuser_client, model, q=shop_name) == world.b.rows[model]
            assert (
                _listed(world.reviewer_client, model, q=world.a.merchant.shop_name)
                == (world.a.rows[model])
            )

    def test_bulk_delete_leaves_other_centers_rows(self, world, model):
        opts = model._meta
        world.reviewer.user_permissions.add(
            Permission.objects.get(
                content_type__app_label=opts.app_label, codename=f"delete_{opts.model_name}"
            )
        )
        ours, theirs = world.a.one(model), world.b.one(model)
        data = {"action": "delete_selected", "_selected_action": [ours.pk, theirs.pk]}
        url = admin_url(model, "changelist")
        confirmation = world.reviewer_client.post(url, data)
        context = confirmation.context or {}
        deletable = "queryset" in context
        if deletable:
            # The confirmation page names only the reviewer's own row.
            assert _pks(context["queryset"]) == {ours.pk}
            deletable = not context["perms_lacking"] and not context["protected"]
        world.reviewer_client.post(url, {**data, "post": "yes"})
        assert model._default_manager.filter(pk=theirs.pk).exists()
        # Where nothing else holds it back, the action did delete the reviewer's own row.
        assert model._default_manager.filter(pk=ours.pk).exists() is not deletable

    def test_changelist_query_count_is_fixed(self, world, model):
        url = admin_url(model, "changelist")
        world.reviewer_client.get(url)  # warm up caches that only the first request fills
        with CaptureQueriesContext(connection) as few:
            world.reviewer_client.get(url)
        for number in range(3):
            build_side(world.reviewer, f"Foshan Workshop {number}", year=2020 + number)
        with CaptureQueriesContext(connection) as many:
            response = world.reviewer_client.get(url)
        assert response.context["cl"].result_count == 4
        assert len(few) == len(many), (
            f"{len(few)} queries with one center's rows, {len(many)} with four:\n"
            f"{format_queries(many)}"
        )
        # The superuser's pinned count, plus the permission lookups: the scope adds nothing.
        expected = CHANGELIST_QUERIES[model._meta.label] + PERMISSION_QUERIES
        assert len(many) == expected, f"{len(many)} queries, {expected} expected:\n" + (
            format_queries(many)
        )


# Autocomplete, form choices, list filters --------------------------------------------------------
def _autocomplete_fields_to_scoped_models():
    pairs = set()
    for model in console_models():
        model_admin = _model_admin(model)
        for owner, names in [
            (model, model_admin.autocomplete_fields),
            *((inline.model, inline.autocomplete_fields) for inline in model_admin.inlines),
        ]:
            for name in names:
                if owner._meta.get_field(name).related_model in SCOPED:
                    pairs.add((owner, name))
    return sorted(pairs, key=lambda pair: (pair[0]._meta.label, pair[1]))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field_name"),
    _autocomplete_fields_to_scoped_models(),
    ids=lambda value: value if isinstance(value, str) else model_id(value),
)
def test_autocomplete_offers_only_own_centers_rows(world, model, field_name):
    target = model._meta.get_field(field_name).related_model
    params = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field_name,
        "term": "",
    }

    def offered(client) -> set:
        response = client.get("/console/autocomplete/", params)
        assert response.status_code == 200, response.content
        return {int(result["id"]) for result in response.json()["results"]}

    assert offered(world.reviewer_client) == world.a.rows[target]
    assert offered(world.superuser_client) >= world.a.rows[target] | world.b.rows[target]


def test_autocomplete_of_merchants_is_covered():
    pairs = _autocomplete_fields_to_scoped_models()
    assert (Shipment, "merchant") in pairs
    assert (Notification, "merchant") in pairs


@pytest.mark.django_db
def test_form_choices_are_limited_to_own_centers_rows(world):
    """Every choice field of every scoped form that points at a scoped model offers A's rows."""
    request = _request_as(world.reviewer)
    checked = set()
    for model in SCOPED_MODELS:
        model_admin = _model_admin(model)
        form = model_admin.get_form(request, None, change=False)()
        for name, form_field in form.fields.items():
            queryset = getattr(form_field, "queryset", None)
            if queryset is None or queryset.model not in SCOPED:
                continue
            assert _pks(queryset) == world.a.rows[queryset.model], f"{model_id(model)}.{name}"
            checked.add((model, name))
    assert {
        (Merchant, "belt"),
        (Storefront, "merchant"),
        (MonthlyMetric, "merchant"),
        (Shipment, "merchant"),
        (Leg, "shipment"),
        (Incident, "responsible_leg"),
        (OperationCenter, "belts"),
        (OperationCenterMembership, "center"),
    } <= checked


@pytest.mark.django_db
def test_form_refuses_another_centers_merchant(world):
    model_admin = _model_admin(MonthlyMetric)
    form_class = model_admin.get_form(_request_as(world.reviewer), None, change=False)
    form = form_class(data={"merchant": world.b.merchant.pk, "month": "2024-01-01"})
    assert not form.is_valid()
    assert "merchant" in form.errors
    assert not MonthlyMetric.objects.filter(merchant=world.b.merchant, month="2024-01-01").exists()


@pytest.mark.django_db
def test_moving_a_merchant_to_another_centers_belt_is_refused(world):
    merchant = world.a.merchant
    form_class = _model_admin(Merchant).get_form(_request_as(world.reviewer), merchant, change=True)
    data = {
        "shop_name": merchant.shop_name,
        "legal_name": merchant.legal_name,
        "status": merchant.status,
        "belt": world.b.belt.pk,
        "category": merchant.category_id,
        "merchant_type": merchant.merchant_type,
        "brand_stage": merchant.brand_stage,
        "is_smb": merchant.is_smb,
        "opened_on": merchant.opened_on.isoformat(),
    }
    assert "belt" in form_class(data=data, instance=merchant).errors
    data["belt"] = world.a.belt.pk
    assert form_class(data=data, instance=merchant).is_valid()


@pytest.mark.django_db
@pytest.mark.parametrize("model", SCOPED_MODELS, ids=model_id)
def test_list_filters_list_only_own_belts_and_centers(world, model):
    response = world.reviewer_client.get(admin_url(model, "changelist"))
    for spec in response.context["cl"].filter_specs:
        if not isinstance(spec, RelatedFieldListFilter):
            continue
        related = get_model_from_relation(spec.field)
        if related in SCOPED:
            listed = {pk for pk, _label in spec.lookup_choices}
            assert listed == world.a.rows[related], spec.field_path


@pytest.mark.django_db
def test_superuser_list_filters_list_everything(world):
    response = world.superuser_client.get(admin_url(Merchant, "changelist"))
    (belt_filter,) = (
        spec for spec in response.context["cl"].filter_specs if spec.field_path == "belt"
    )
    assert {pk for pk, _label in belt_filter.lookup_choices} >= {world.a.belt.pk, world.b.belt.pk}


# Notifications to staff, centers and their staff -------------------------------------------------
@pytest.mark.django_db
def test_staff_notifications_are_seen_by_their_recipient_only(world):
    own = NotificationFactory(recipient=world.reviewer, merchant=None)
    colleagues = NotificationFactory(recipient=world.b.staff, merchant=None)
    assert _listed(world.reviewer_client, Notification) == world.a.rows[Notification] | {own.pk}
    response = world.reviewer_client.get(admin_url(Notification, "change", colleagues.pk))
    assert response.status_code == 404
    assert {own.pk, colleagues.pk} <= _listed(world.superuser_client, Notification)


@pytest.mark.django_db
def test_staff_see_their_own_centers_and_colleagues(world):
    colleague = OperationCenterMembershipFactory(center=world.a.center)
    assert _listed(world.reviewer_client, OperationCenter) == {world.a.center.pk}
    assert _listed(world.reviewer_client, OperationCenterMembership) == (
        world.a.rows[OperationCenterMembership] | {colleague.pk}
    )


@pytest.mark.django_db
def test_staff_without_a_center_see_nothing(world):
    newcomer = StaffUserFactory(username="newcomer")
    newcomer.groups.add(reviewers_group())
    client = Client()
    client.force_login(newcomer)
    for model in SCOPED_MODELS:
        assert not _listed(client, model), model_id(model)


# The selector ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_belt_ids_served_by_runs_one_query_per_request(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert belt_ids_served_by(world.reviewer) == {world.a.belt.pk}
        assert belt_ids_served_by(world.reviewer) == {world.a.belt.pk}


@pytest.mark.django_db
def test_belt_ids_served_by_a_superuser_is_all(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert belt_ids_served_by(SuperUserFactory.build()) is None


@pytest.mark.django_db
def test_belt_ids_served_by_the_union_of_the_users_centers(world):
    other = IndustrialBeltFactory()
    OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[other]), user=world.reviewer
    )
    reviewer = type(world.reviewer).objects.get(pk=world.reviewer.pk)  # a new request's user
    assert belt_ids_served_by(reviewer) == {world.a.belt.pk, other.pk}
