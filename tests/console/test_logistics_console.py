"""The logistics console: a shipment's page as its timeline, the steps taken from it through the
services (hand-overs recorded and corrected, incidents reported and resolved), the lists' flags,
the exports and the scorecards page, all limited to the staff member's operation centers."""

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from logistics import scorecards
from logistics.attribution import attribution_text
from logistics.choices import AttributionStatus, Condition, IncidentKind, IncidentStatus
from logistics.models import ConditionCheck, ConditionCheckPhoto, Incident, Shipment
from logistics.services import handovers as handover_services
from logistics.services import incidents as incident_services
from logistics.services.handovers import handover_record
from logistics.services.incidents import incident_report
from tests.belts.factories import OperationCenterMembershipFactory
from tests.logistics.world import Chain, chain_world, image_bytes, new_shipment, upload
from tests.utils.queries import assert_num_queries
from tests.utils.world import served_merchant

from .base import admin_url
from .test_scoping import reviewers_group

pytestmark = pytest.mark.django_db

STEP_CODENAMES = ("add_conditioncheck", "change_conditioncheck", "add_incident", "change_incident")


def _hour(chain: Chain, hours: float) -> datetime.datetime:
    return chain.start + datetime.timedelta(hours=hours)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _may_take_steps(user) -> None:
    user.groups.add(reviewers_group())
    user.user_permissions.add(*Permission.objects.filter(codename__in=STEP_CODENAMES))


@dataclass
class Console:
    chain: Chain
    client: Client  # the chain's reviewer (center A), allowed to take the steps
    outsider: Client  # a reviewer of another center, with the same permissions

    @property
    def shipment(self) -> Shipment:
        return self.chain.shipment


@pytest.fixture
def console() -> Console:
    chain = chain_world()
    _may_take_steps(chain.reviewer)
    outsider = OperationCenterMembershipFactory(center=served_merchant().center).user
    _may_take_steps(outsider)
    return Console(chain=chain, client=_logged_in(chain.reviewer), outsider=_logged_in(outsider))


def _page(shipment) -> str:
    return admin_url(Shipment, "change", shipment.pk)


def _step_url(name: str, *args) -> str:
    return reverse(f"admin:logistics_shipment_{name}", args=args)


def _record(chain: Chain, grades: list[str], photos: int = 0) -> None:
    """Hand-overs 0.. with ``grades``, at hours 1, 20, 60, ...; ``photos`` on each."""
    hours = [1, 20, 60, 90, 110]
    for index, grade in enumerate(grades):
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=index,
            condition=grade,
            checked_at=_hour(chain, hours[index]),
            photos=[upload(image_bytes(), f"h{index}-{n}.jpg") for n in range(photos)],
        )


def _damaged_on_line_haul(chain: Chain) -> Incident:
    """Intact at the pickup and after it, damaged when the line haul handed over: leg 2's."""
    _record(chain, [Condition.INTACT, Condition.INTACT, Condition.DAMAGED], photos=1)
    return incident_report(
        actor=chain.reviewer,
        shipment=chain.shipment,
        kind=IncidentKind.DAMAGE,
        description="Cabinet door cracked",
    )


# The timeline ------------------------------------------------------------------------------------
def test_timeline_shows_the_chain_in_order(console):
    incident = _damaged_on_line_haul(console.chain)
    response = console.client.get(_page(console.shipment))
    assert response.status_code == 200
    html = response.content.decode()

    # hand-over 0, leg 1, hand-over 1, leg 2, ... hand-over 4, in that order on the page
    markers = []
    for index in range(4):
        markers += [f'data-handover="{index}"', f'data-leg="{index + 1}"']
    markers.append('data-handover="4"')
    positions = [html.index(marker) for marker in markers]
    assert positions == sorted(positions)

    steps = response.context["timeline"].steps
    assert [getattr(step, "index", None) for step in steps[::2]] == [0, 1, 2, 3, 4]
    assert [step.provider for step in steps[1::2]] == [
        "Own Network",
        "Carrier X",
        "Carrier X",
        "Installer Y",
    ]
    assert "Line haul by Carrier X" in html
    assert "tone-good" in html
    assert "tone-bad" in html
    assert "tone-pending" in html
    assert "Damaged" in html
    assert "Not recorded yet" in html
    # Leg 4 (installation) has not started and its SLA is past: overdue.
    assert "flag-overdue" in html

    photos = list(ConditionCheckPhoto.objects.order_by("id"))
    assert len(photos) == 3
    for photo in photos:
        assert f'src="{photo.get_absolute_url()}"' in html

    incident.refresh_from_db()
    assert incident.attribution_status == AttributionStatus.ATTRIBUTED
    assert incident.responsible_leg.sequence == 2
    english = attribution_text(incident.attribution)
    assert "Carrier X" in english
    assert escape(english) in html
    assert "Cabinet door cracked" in html


def test_timeline_reasoning_in_chinese_by_the_language_cookie(console):
    incident = _damaged_on_line_haul(console.chain)
    with translation.override("en"):
        english = attribution_text(incident.attribution)
    with translation.override("zh-hans"):
        chinese = attribution_text(incident.attribution)
    assert chinese != english

    console.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = console.client.get(_page(console.shipment))
    html = response.content.decode()
    assert escape(chinese) in html
    assert escape(english) not in html


def test_timeline_query_count_is_fixed(console):
    chain = console.chain
    url = _page(chain.shipment)
    console.client.get(url)  # warm up
    _record(chain, [Condition.INTACT], photos=1)
    with assert_num_queries(TIMELINE_QUERIES, "one hand-over"):
        assert console.client.get(url).status_code == 200
    for index, grade in enumerate([Condition.INTACT, Condition.DAMAGED, Condition.INTACT], 1):
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=index,
            condition=grade,
            checked_at=_hour(chain, 20 * index + 1),
            photos=[upload(image_bytes(), "p.jpg"), upload(image_bytes("PNG"), "q.png")],
        )
    for kind in (IncidentKind.DAMAGE, IncidentKind.DELAY):
        incident_report(actor=chain.reviewer, shipment=chain.shipment, kind=kind)
    with assert_num_queries(TIMELINE_QUERIES, "four hand-overs, seven photos, two incidents"):
        assert console.client.get(url).status_code == 200


# 2 session and user, 2 permissions, 1 the admin's scoped row, then 5 for shipment_get: the
# shipment with its merchant's belt and city, legs with providers and breaches, the hand-overs,
# their photos, the incidents with their legs and providers.
TIMELINE_QUERIES = 2 + 2 + 1 + 5


# Recording and correcting hand-overs -------------------------------------------------------------
def _photo_file(name="door.jpg", data=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data if data is not None else image_bytes(), content_type)


def test_recording_a_handover_through_the_page_calls_the_service(console):
    chain = console.chain
    url = _step_url("handover", chain.shipment.pk)
    page = console.client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["index"].value() == 0
    with mock.patch(
        "logistics.admin.shipments.handover_record", wraps=handover_services.handover_record
    ) as service:
        response = console.client.post(
            url,
            {
                "index": "0",
                "condition": Condition.INTACT,
                "checked_at": timezone.localtime(_hour(chain, 2)).strftime("%Y-%m-%dT%H:%M"),
                "note": "Wrapped in foam",
                "photos": [
                    _photo_file("a.jpg"),
                    _photo_file("b.png", image_bytes("PNG"), "image/png"),
                ],
            },
        )
    assert response.status_code == 302
    assert response["Location"].endswith(f"{_page(chain.shipment)}#handover-0")
    assert service.call_count == 1
    assert service.call_args.kwargs["actor"] == chain.reviewer
    check = ConditionCheck.objects.get(shipment=chain.shipment, index=0)
    assert (check.condition, check.note, check.checked_by) == (
        Condition.INTACT,
        "Wrapped in foam",
        chain.reviewer,
    )
    assert check.checked_at == _hour(chain, 2).replace(second=0, microsecond=0)
    assert check.photos.count() == 2
    leg = chain.shipment.legs.get(sequence=1)
    assert leg.started_at == check.checked_at

    # The timeline now offers hand-over 1 next.
    page = console.client.get(_page(chain.shipment))
    assert page.context["next_handover"].index == 1


def test_an_out_of_order_handover_is_refused_on_the_form_and_nothing_is_saved(console):
    chain = console.chain
    response = console.client.post(
        _step_url("handover", chain.shipment.pk),
        {"index": "2", "condition": Condition.DAMAGED, "photos": [_photo_file()]},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Record hand-over 1 first" in errors["index"][0]
    assert "Record hand-over 1 first" in response.content.decode()
    assert not ConditionCheck.objects.exists()
    assert not ConditionCheckPhoto.objects.exists()
    assert chain.shipment.legs.filter(started_at__isnull=False).count() == 0


def test_a_file_that_is_not_an_image_refuses_the_whole_handover(console):
    chain = console.chain
    response = console.client.post(
        _step_url("handover", chain.shipment.pk),
        {
            "index": "0",
            "condition": Condition.INTACT,
            "photos": [_photo_file(), _photo_file("x.jpg", b"not an image at all")],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photos"]
    assert not ConditionCheck.objects.exists()
    assert not ConditionCheckPhoto.objects.exists()


def test_correcting_a_handover_through_the_page(console):
    chain = console.chain
    _record(chain, [Condition.INTACT, Condition.INTACT])
    url = _step_url("handover_correct", chain.shipment.pk, 1)
    with mock.patch(
        "logistics.admin.shipments.handover_correct", wraps=handover_services.handover_correct
    ) as service:
        response = console.client.post(
            url,
            {
                "condition": Condition.MISSING_PARTS,
                "note": "Two hinges short",
                "photos": [_photo_file()],
            },
        )
    assert response.status_code == 302
    kwargs = service.call_args.kwargs
    assert (kwargs["condition"], kwargs["note"], kwargs["checked_at"]) == (
        Condition.MISSING_PARTS,
        "Two hinges short",
        None,  # the time was left as it was
    )
    check = ConditionCheck.objects.get(shipment=chain.shipment, index=1)
    assert (check.condition, check.corrections, check.photos.count()) == (
        Condition.MISSING_PARTS,
        1,
        1,
    )

    # A time after the next hand-over's is refused on its field; nothing changes.
    handover_record(
        actor=chain.reviewer,
        shipment=chain.shipment,
        index=2,
        condition=Condition.INTACT,
        checked_at=_hour(chain, 30),
    )
    late = timezone.localtime(_hour(chain, 40)).strftime("%Y-%m-%dT%H:%M")
    response = console.client.post(
        url, {"condition": Condition.INTACT, "note": "", "checked_at": late}
    )
    assert response.status_code == 200
    assert "cannot be later" in response.context["form"].errors["checked_at"][0]
    check.refresh_from_db()
    assert (check.condition, check.corrections) == (Condition.MISSING_PARTS, 1)


# Incidents ---------------------------------------------------------------------------------------
def test_reporting_and_resolving_an_incident_through_the_page(console):
    chain = console.chain
    _record(chain, [Condition.INTACT, Condition.INTACT, Condition.DAMAGED])
    with mock.patch(
        "logistics.admin.shipments.incident_report", wraps=incident_services.incident_report
    ) as report:
        response = console.client.post(
            _step_url("incident", chain.shipment.pk),
            {"kind": IncidentKind.DAMAGE, "description": "Cracked side panel"},
            follow=True,
        )
    assert report.call_count == 1
    incident = Incident.objects.get(shipment=chain.shipment)
    assert incident.responsible_leg.sequence == 2
    assert incident.reported_by == chain.reviewer
    html = response.content.decode()
    assert escape(attribution_text(incident.attribution)) in html  # the message and the page

    resolve_url = _step_url("incident_resolve", chain.shipment.pk, incident.pk)
    assert response.context["incidents"][0]["resolve_url"] == resolve_url
    with mock.patch(
        "logistics.admin.shipments.incident_resolve", wraps=incident_services.incident_resolve
    ) as resolve:
        response = console.client.post(
            resolve_url,
            {"resolution": "resend_new", "cost": "1800.00", "bearer": "provider", "note": ""},
        )
    assert response.status_code == 302
    assert resolve.call_count == 1
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert str(incident.resolution_cost) == "1800.00"
    assert incident.bearer_provider == incident.responsible_leg.provider
    assert incident.resolved_by == chain.reviewer
    page = console.client.get(_page(chain.shipment))
    assert page.context["incidents"][0]["resolve_url"] is None
    assert "Resend a new item, no return" in page.content.decode()


def test_an_unattributed_incident_needs_a_reason_and_no_provider_bears_it(console):
    chain = console.chain
    incident = incident_report(actor=chain.reviewer, shipment=chain.shipment, kind="damage")
    assert incident.attribution_status != AttributionStatus.ATTRIBUTED
    url = _step_url("incident_resolve", chain.shipment.pk, incident.pk)

    response = console.client.post(
        url, {"resolution": "repair", "cost": "100", "bearer": "merchant", "note": ""}
    )
    assert response.status_code == 200
    assert "write why" in response.context["form"].errors["note"][0]

    response = console.client.post(
        url, {"resolution": "repair", "cost": "100", "bearer": "provider", "note": "No checks"}
    )
    assert response.status_code == 200
    assert "No provider is attributed" in response.context["form"].errors["bearer"][0]
    incident.refresh_from_db()
    assert incident.status != IncidentStatus.RESOLVED
    assert incident.resolved_at is None


# Scope and permissions ---------------------------------------------------------------------------
def test_another_centers_reviewer_finds_nothing_and_changes_nothing(console):
    chain = console.chain
    _record(chain, [Condition.INTACT])
    incident = incident_report(actor=chain.reviewer, shipment=chain.shipment, kind="damage")
    pk = chain.shipment.pk
    urls = [
        _page(chain.shipment),
        _step_url("handover", pk),
        _step_url("handover_correct", pk, 0),
        _step_url("incident", pk),
        _step_url("incident_resolve", pk, incident.pk),
    ]
    for url in urls:
        assert console.outsider.get(url).status_code == 404, url
    posts = {
        _step_url("handover", pk): {"index": "1", "condition": "damaged"},
        _step_url("handover_correct", pk, 0): {"condition": "damaged", "note": "x"},
        _step_url("incident", pk): {"kind": "delay"},
        _step_url("incident_resolve", pk, incident.pk): {
            "resolution": "repair",
            "cost": "1",
            "bearer": "merchant",
            "note": "x",
        },
    }
    for url, data in posts.items():
        assert console.outsider.post(url, data).status_code == 404, url
    assert list(ConditionCheck.objects.values_list("index", "condition", "corrections")) == [
        (0, "intact", 0)
    ]
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert incident.resolved_at is None
    # Nor does the list show it.
    response = console.outsider.get(admin_url(Shipment, "changelist"))
    assert not response.context["cl"].result_list


def test_a_missing_shipment_is_the_consoles_missing_row(console, console_client):
    missing = Shipment.objects.order_by("-pk").first().pk + 100
    assert console.client.get(admin_url(Shipment, "change", missing)).status_code == 404
    assert console.client.get(_step_url("handover", missing)).status_code == 404
    # A superuser is told it does not exist, on the console's index.
    for url in (admin_url(Shipment, "change", missing), _step_url("incident", missing)):
        response = console_client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")


def test_a_reviewer_without_the_step_permissions_sees_the_timeline_only(console):
    viewer = OperationCenterMembershipFactory(center=console.chain.served.center).user
    viewer.groups.add(reviewers_group())  # view permissions only
    client = _logged_in(viewer)
    pk = console.shipment.pk
    page = client.get(_page(console.shipment))
    assert page.status_code == 200
    assert page.context["handover_url"] is None
    assert page.context["report_url"] is None
    assert client.get(_step_url("handover", pk)).status_code == 403
    response = client.post(_step_url("handover", pk), {"index": "0", "condition": "intact"})
    assert response.status_code == 403
    assert not ConditionCheck.objects.exists()


def test_the_page_is_read_only(console):
    response = console.client.post(_page(console.shipment), {"order_reference": "CHANGED"})
    assert response.status_code == 405
    console.shipment.refresh_from_db()
    assert console.shipment.order_reference == "ORD-CHAIN-1"
    assert console.client.get(admin_url(Shipment, "add")).status_code == 403


# Lists -------------------------------------------------------------------------------------------
@pytest.fixture
def three_shipments(console):
    """The chain's shipment (overdue: its SLAs are days past), a damaged one, a clean one."""
    chain = console.chain
    late_hours = (24 * 30, 24 * 31, 24 * 32, 24 * 33)  # due weeks from now
    damaged = new_shipment(chain, order="ORD-DAMAGED", hours=late_hours)
    incident_report(actor=chain.reviewer, shipment=damaged, kind=IncidentKind.DAMAGE)
    clean = new_shipment(chain, order="ORD-CLEAN", hours=late_hours)
    return chain.shipment, damaged, clean


def _listed(client, **params) -> set[str]:
    response = client.get(admin_url(Shipment, "changelist"), params)
    assert response.status_code == 200
    return {shipment.order_reference for shipment in response.context["cl"].result_list}


def test_shipment_list_flags_and_their_filters(console, three_shipments):
    client = console.client
    assert _listed(client) == {"ORD-CHAIN-1", "ORD-DAMAGED", "ORD-CLEAN"}
    assert _listed(client, overdue="yes") == {"ORD-CHAIN-1"}
    assert _listed(client, overdue="no") == {"ORD-DAMAGED", "ORD-CLEAN"}
    assert _listed(client, damaged="yes") == {"ORD-DAMAGED"}
    assert _listed(client, open_incident="yes") == {"ORD-DAMAGED"}
    response = client.get(admin_url(Shipment, "changelist"))
    rows = {row.order_reference: row for row in response.context["cl"].result_list}
    assert (rows["ORD-CHAIN-1"].is_overdue, rows["ORD-CHAIN-1"].is_damaged) == (True, False)
    assert (rows["ORD-DAMAGED"].is_damaged, rows["ORD-DAMAGED"].has_open_incident) == (True, True)
    assert not (rows["ORD-CLEAN"].is_overdue)
    assert not (rows["ORD-CLEAN"].is_damaged)
    assert response.context["cl"].show_full_result_count is False


# 2 session and user, 2 permissions, 2 related filters (belts, provinces), 1 count, 1 page.
SHIPMENT_LIST_QUERIES = 2 + 2 + 2 + 1 + 1


def test_shipment_list_query_count_with_flags_is_pinned(console, three_shipments):
    url = admin_url(Shipment, "changelist")
    console.client.get(url)
    for params in ({}, {"overdue": "yes"}, {"damaged": "yes", "open_incident": "no"}):
        with assert_num_queries(SHIPMENT_LIST_QUERIES, str(params)):
            console.client.get(url, params)


def test_incident_list_shows_attribution_and_filters_on_it(console):
    chain = console.chain
    attributed = _damaged_on_line_haul(chain)
    unattributed = incident_report(
        actor=chain.reviewer, shipment=new_shipment(chain, order="ORD-2"), kind="damage"
    )
    url = admin_url(Incident, "changelist")
    response = console.client.get(url, {"attribution_status__exact": "attributed"})
    assert [row.pk for row in response.context["cl"].result_list] == [attributed.pk]
    html = response.content.decode()
    assert "#2 Line haul by Carrier X" in html
    response = console.client.get(url, {"attribution_status__exact": "unattributed"})
    assert [row.pk for row in response.context["cl"].result_list] == [unattributed.pk]
    # Resolved, the list names the resolution, its cost and the provider bearing it.
    incident_services.incident_resolve(
        actor=chain.reviewer,
        incident=attributed,
        resolution="repair",
        cost=Decimal("450.00"),
        bearer="provider",
    )
    html = console.client.get(url, {"status__exact": "resolved"}).content.decode()
    assert "Repair on site" in html
    assert "450.00" in html
    assert "The attributed provider: Carrier X" in html
    # Its page gives the reasoning and links to the shipment's page (where it is resolved).
    page = console.client.get(admin_url(Incident, "change", attributed.pk))
    assert escape(attribution_text(attributed.attribution)) in page.content.decode()
    assert _page(chain.shipment) in page.content.decode()


# Exports -----------------------------------------------------------------------------------------
def _export_rows(client, model, fmt="0", **params) -> list[dict]:
    response = client.post(
        admin_url(model, "export") + ("?" + "&".join(f"{k}={v}" for k, v in params.items())),
        {"format": fmt, "resource": "0"},
    )
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_exports_contain_only_rows_in_scope(console, three_shipments):
    chain = console.chain
    _record(chain, [Condition.INTACT])
    other = chain_world()  # another merchant, belt and center, with its own shipment
    incident_report(actor=other.reviewer, shipment=other.shipment, kind="delay")

    rows = _export_rows(console.client, Shipment)
    assert {row["order reference"] for row in rows} == {"ORD-CHAIN-1", "ORD-DAMAGED", "ORD-CLEAN"}
    flags = {row["order reference"]: (row["overdue"], row["damaged"]) for row in rows}
    assert flags == {
        "ORD-CHAIN-1": ("True", "False"),
        "ORD-DAMAGED": ("False", "True"),
        "ORD-CLEAN": ("False", "False"),
    }
    # The list's filters apply to the export.
    rows = _export_rows(console.client, Shipment, damaged="yes")
    assert [row["order reference"] for row in rows] == ["ORD-DAMAGED"]

    rows = _export_rows(console.client, Incident)
    assert [row["shipment"] for row in rows] == ["ORD-DAMAGED"]
    assert rows[0]["kind"] == "Damage"

    # Their reviewer exports only theirs.
    _may_take_steps(other.reviewer)
    rows = _export_rows(_logged_in(other.reviewer), Incident)
    assert [row["shipment"] for row in rows] == ["ORD-CHAIN-1"]
    assert rows[0]["merchant"] == other.served.merchant.shop_name

    response = console.client.post(admin_url(Shipment, "export"), {"format": "1", "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# Scorecards --------------------------------------------------------------------------------------
def _scorecards_url() -> str:
    return reverse("admin:logistics_serviceprovider_scorecards")


@pytest.fixture
def scored(console):
    """The chain's shipment, damaged on the line haul by Carrier X (a mixed chain), and one run
    end to end by the own network, delivered intact (a single-provider chain)."""
    chain = console.chain
    _damaged_on_line_haul(chain)
    own = chain.providers[0]
    single = new_shipment(chain, order="ORD-OWN", providers=[own, own, own, own])
    for index in range(5):
        handover_record(
            actor=chain.reviewer,
            shipment=single,
            index=index,
            condition=Condition.INTACT,
            checked_at=_hour(chain, 1 + 5 * index),
        )
    return chain


def _spied():
    return (
        mock.patch(
            "logistics.scorecards.provider_scorecards", wraps=scorecards.provider_scorecards
        ),
        mock.patch("logistics.scorecards.chain_comparison", wraps=scorecards.chain_comparison),
    )


def _cells(table) -> list[list[str]]:
    return [[cell for cell, _numeric in row] for row in table.rows]


def test_scorecards_page_ranks_by_attributed_damage_with_a_chart(console, scored):
    spy_rows, spy_comparison = _spied()
    with spy_rows as rows_call, spy_comparison as comparison_call:
        response = console.client.get(_scorecards_url())
    assert response.status_code == 200
    kwargs = rows_call.call_args.kwargs
    rows = scorecards.provider_scorecards(
        user=console.chain.reviewer, start=kwargs["start"], end=kwargs["end"]
    )
    cells = _cells(response.context["scorecards"])
    assert [row[:3] for row in cells] == [
        [row.provider, row.provider_kind_label, row.kind_label] for row in rows
    ]
    assert cells[0][:3] == ["Carrier X", "Contracted carrier", "Line haul"]
    assert cells[0][5] == "1"  # the one damage, attributed to the line haul
    chart = response.context["chart"]
    values = chart["series"][0]["values"]
    assert values == [float(row.damage_rate_per_1000 or 0) for row in rows]
    assert values[0] > 0
    assert values == sorted(values, reverse=True)
    assert chart["labels"][0] == "Carrier X · Line haul"

    html = response.content.decode()
    assert 'id="scorecards-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/scorecards.js" in html
    assert "<script>" not in html  # no inline script: the CSP is 'self'
    comparison = _cells(response.context["comparison"])
    assert [row[:2] for row in comparison] == [
        ["One provider end to end", "1"],
        ["Mixed providers", "1"],
    ]

    # The default period: the last 90 days up to today, as the reviewer.
    assert kwargs["user"] == console.chain.reviewer
    today = timezone.localdate()
    assert timezone.localtime(kwargs["start"]).date() == today - datetime.timedelta(days=90)
    assert timezone.localtime(kwargs["end"]).date() == today + datetime.timedelta(days=1)
    assert comparison_call.call_args.kwargs == {
        "user": console.chain.reviewer,
        "start": kwargs["start"],
        "end": kwargs["end"],
    }


def test_scorecards_count_only_the_readers_shipments(console, scored):
    other = chain_world()
    _may_take_steps(other.reviewer)
    response = _logged_in(other.reviewer).get(_scorecards_url())
    # Their one mixed chain, undamaged; not center A's single chain nor its damage.
    assert [row[:2] for row in _cells(response.context["comparison"])] == [["Mixed providers", "1"]]
    assert all(row[5] == "0" for row in _cells(response.context["scorecards"]))


def test_scorecards_period_form(console, scored):
    spy_rows, spy_comparison = _spied()
    with spy_rows as rows_call, spy_comparison:
        response = console.client.get(
            _scorecards_url(), {"start": "2026-01-01", "end": "2026-03-31"}
        )
    assert response.status_code == 200
    start, end = rows_call.call_args.kwargs["start"], rows_call.call_args.kwargs["end"]
    assert timezone.localtime(start).date() == datetime.date(2026, 1, 1)
    assert timezone.localtime(end).date() == datetime.date(2026, 4, 1)
    assert response.context["scorecards"].rows == []  # nothing fell due then
    spy_rows, spy_comparison = _spied()
    with spy_rows as rows_call, spy_comparison:
        response = console.client.get(
            _scorecards_url(), {"start": "2026-03-01", "end": "2026-01-01"}
        )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not rows_call.called


def test_scorecards_have_a_menu_entry_under_logistics(console):
    response = console.client.get(reverse("admin:app_list", args=["logistics"]))
    assert _scorecards_url() in response.content.decode()
    home = console.client.get(reverse("admin:index"))
    assert _scorecards_url() in home.content.decode()


def test_scorecards_need_the_view_permission_on_providers(console):
    staff = OperationCenterMembershipFactory(center=console.chain.served.center).user
    client = _logged_in(staff)  # staff, no permission at all
    assert client.get(_scorecards_url()).status_code == 403
    home = client.get(reverse("admin:index"))
    assert _scorecards_url() not in home.content.decode()


def test_timeline_flags_a_leg_completed_late_and_its_breach(console):
    chain = console.chain
    # Leg 1 (pickup) is due at hour 24 and handed over at hour 30: completed late, a breach.
    for index, hours in ((0, 1), (1, 30)):
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=index,
            condition=Condition.INTACT,
            checked_at=_hour(chain, hours),
        )
    response = console.client.get(_page(chain.shipment))
    legs = response.context["timeline"].legs
    assert (legs[0].late, legs[0].breached, legs[0].overdue) == (True, True, False)
    assert (legs[1].late, legs[1].state) == (False, "running")
    html = response.content.decode()
    leg_one = html[html.index('data-leg="1"') : html.index('data-handover="1"')]
    assert "flag-late" in leg_one
    assert "flag-breached" in leg_one


def test_a_correction_that_leaves_the_time_as_shown_does_not_move_it(console):
    chain = console.chain
    _record(chain, [Condition.INTACT])
    check = ConditionCheck.objects.get(shipment=chain.shipment, index=0)
    url = _step_url("handover_correct", chain.shipment.pk, 0)
    form = console.client.get(url).context["form"]
    shown = form["checked_at"].value()  # the local time, to the minute
    with mock.patch(
        "logistics.admin.shipments.handover_correct", wraps=handover_services.handover_correct
    ) as service:
        response = console.client.post(
            url,
            {
                "condition": Condition.DAMAGED,
                "note": "",
                "checked_at": shown.strftime("%Y-%m-%dT%H:%M"),  # as the browser sends it back
            },
        )
    assert response.status_code == 302
    assert service.call_args.kwargs["checked_at"] is None
    before = check.checked_at
    check.refresh_from_db()
    assert check.checked_at == before
    assert check.condition == Condition.DAMAGED
