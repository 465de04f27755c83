"""The portal's Shipments pages: the selected merchant's shipments (newest first, where each is in
the chain, its flags) at a fixed query count; one shipment's chain as a timeline with photos and
incidents, the attribution worded in the active language; reporting an incident; only one's own
merchants' shipments (another's is a 404); the inbox linking to the shipment."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from logistics.attribution import attribution_text
from logistics.choices import Condition, CostBearer, IncidentKind, IncidentStatus, Resolution
from logistics.models import Incident
from logistics.presenters import leg_label
from logistics.services.handovers import handover_record
from logistics.services.incidents import (
    MAX_TEXT,
    incident_report,
    incident_resolve,
    incidents_reattribute,
)
from merchants.choices import MembershipRole, NotificationKind
from merchants.models import Notification
from tests.belts.factories import UserFactory
from tests.logistics.world import chain_world, image_bytes, new_shipment, upload
from tests.merchants.factories import MerchantMembershipFactory
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

# Session, user, memberships, the unread count; the page's count and rows (with their flags),
# the rows' legs with providers, their recorded hand-overs.
LIST_PAGE_QUERIES = 8
# Session, user, the unread count; the shipment, its legs (provider, breach), its hand-overs
# (recorded by), their photos, its incidents (leg, provider, bearer).
DETAIL_PAGE_QUERIES = 8

LIST = reverse("logistics:shipments")


def detail(shipment) -> str:
    return reverse("logistics:shipment", args=[shipment.pk])


@pytest.fixture
def chain():
    return chain_world()


@pytest.fixture
def broken(chain):
    """The cabinet broke on the line haul (leg 2): in order at hand-over 1, damaged at 2, with a
    photo; reported, then resolved by the serving staff: a new one sent, the carrier pays."""
    shipment = chain.shipment
    for index, condition in ((0, Condition.INTACT), (1, Condition.INTACT)):
        handover_record(actor=chain.reviewer, shipment=shipment, index=index, condition=condition)
    handover_record(
        actor=chain.reviewer,
        shipment=shipment,
        index=2,
        condition=Condition.DAMAGED,
        note="Door panel cracked",
        photos=[upload(image_bytes(), "crack.jpg")],
    )
    incident = incident_report(
        actor=chain.owner, shipment=shipment, kind=IncidentKind.DAMAGE, description="Cracked door"
    )
    incident_resolve(
        actor=chain.reviewer,
        incident=incident,
        resolution=Resolution.RESEND_NEW,
        cost=Decimal("3200.00"),
        bearer=CostBearer.PROVIDER,
    )
    incident.refresh_from_db()
    return incident


@pytest.fixture
def owner_client(client, chain):
    client.force_login(chain.owner)
    return client


# The list ----------------------------------------------------------------------------------------
def test_lists_the_merchants_shipments_newest_first_with_position_and_flags(
    owner_client, chain, broken
):
    quiet = new_shipment(chain, order="ORD-QUIET", hours=(24 * 30, 24 * 31, 24 * 32, 24 * 33))
    open_one = new_shipment(chain, order="ORD-OPEN")
    incident_report(actor=chain.owner, shipment=open_one, kind=IncidentKind.DELAY)
    # Another merchant's shipment, of the same providers: not listed.
    other = chain_world()

    response = owner_client.get(LIST)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.shipment.order_reference for row in rows] == [
        "ORD-OPEN",
        "ORD-QUIET",
        "ORD-CHAIN-1",
    ]
    by_order = {row.shipment.order_reference: row for row in rows}
    with translation.override("en"):
        line_haul = leg_label(chain.shipment.legs.get(sequence=3))
    assert by_order["ORD-CHAIN-1"].position == f"Leg 3 of 4: {line_haul}"
    assert by_order["ORD-QUIET"].position == "Waiting for pickup by Own Network"
    assert (by_order["ORD-CHAIN-1"].resolved, by_order["ORD-CHAIN-1"].incident_open) == (
        True,
        False,
    )
    assert (by_order["ORD-OPEN"].incident_open, by_order["ORD-OPEN"].resolved) == (True, False)
    assert by_order["ORD-OPEN"].overdue  # its first leg was due nine days ago
    assert not by_order["ORD-QUIET"].overdue
    html = response.content.decode()
    assert detail(quiet) in html
    assert detail(other.shipment) not in html
    assert "Incident resolved" in html
    assert "Incident open" in html


def test_the_list_is_the_selected_merchants(client, chain):
    second = chain_world()
    user = UserFactory()
    for merchant in (chain.served.merchant, second.served.merchant):
        MerchantMembershipFactory(user=user, merchant=merchant, role=MembershipRole.OPERATOR)
    client.force_login(user)

    response = client.get(LIST, {"merchant": second.served.merchant.pk})

    assert [row.shipment.pk for row in response.context["rows"]] == [second.shipment.pk]
    # A merchant that is not one's own is a 404, like one that does not exist.
    assert client.get(LIST, {"merchant": chain_world().served.merchant.pk}).status_code == 404


def test_the_list_costs_a_fixed_number_of_queries(owner_client, chain, broken):
    with assert_num_queries(LIST_PAGE_QUERIES, "one shipment"):
        owner_client.get(LIST)
    for number in range(25):
        shipment = new_shipment(chain, order=f"ORD-MORE-{number}")
        handover_record(actor=chain.reviewer, shipment=shipment, index=0, condition="intact")
        incident_report(actor=chain.owner, shipment=shipment, kind=IncidentKind.DELAY)
    with assert_num_queries(LIST_PAGE_QUERIES, "a full page of 20"):
        response = owner_client.get(LIST)
    assert len(response.context["rows"]) == 20
    assert response.context["page"].paginator.count == 26
    with assert_num_queries(LIST_PAGE_QUERIES, "the second page"):
        response = owner_client.get(LIST, {"page": 2})
    assert len(response.context["rows"]) == 6


def test_anonymous_users_are_sent_to_the_login_page(client, chain):
    for url in (LIST, detail(chain.shipment)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))


def test_a_user_without_a_merchant_is_told(client, db):
    client.force_login(UserFactory())
    response = client.get(LIST)
    assert response.status_code == 200
    assert "No merchant is linked to your account" in response.content.decode()


# The detail --------------------------------------------------------------------------------------
def test_the_detail_shows_the_chain_the_leg_that_broke_it_and_what_was_done(
    owner_client, chain, broken
):
    response = owner_client.get(detail(chain.shipment))

    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert [step.tone for step in timeline.handovers] == [
        "good",
        "good",
        "bad",
        "pending",
        "pending",
    ]
    html = response.content.decode()
    with translation.override("en"):
        line_haul = leg_label(broken.responsible_leg)
        reasoning = attribution_text(broken.attribution)
    assert broken.responsible_leg.sequence == 2
    assert line_haul == "Line haul by Carrier X"
    assert f'<dd class="incident__responsible">{line_haul}</dd>' in html
    assert f'<dd class="incident__reasoning">{reasoning}</dd>' in html
    assert "Caused during" in reasoning
    assert '<dd class="incident__resolution">Resend a new item, no return</dd>' in html
    assert "CNY 3,200.00" in html
    assert '<dd class="incident__bearer">The attributed provider (Carrier X)</dd>' in html
    # The photo of the damaged hand-over, by the address that checks the reader's scope.
    photo = broken.shipment.checks.get(index=2).photos.get()
    assert f'src="{photo.get_absolute_url()}"' in html
    assert "Door panel cracked" in html
    # Overdue legs are flagged: the last mile was due six days ago.
    assert "Overdue" in html


def test_the_attribution_reads_in_chinese(owner_client, chain, broken):
    owner_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    html = owner_client.get(detail(chain.shipment)).content.decode()

    with translation.override("zh-hans"):
        reasoning = attribution_text(broken.attribution)
        responsible = leg_label(broken.responsible_leg)
        resolution = str(Resolution.RESEND_NEW.label)
    with translation.override("en"):
        english = attribution_text(broken.attribution)
    assert reasoning != english, "the attribution has its Chinese words"
    assert f'<dd class="incident__reasoning">{reasoning}</dd>' in html
    assert f'<dd class="incident__responsible">{responsible}</dd>' in html
    assert resolution in html
    assert english not in html
    assert '<html lang="zh-hans">' in html


def test_the_providers_chinese_names_are_shown_in_chinese(owner_client, chain, broken):
    carrier = broken.responsible_leg.provider
    carrier.name_zh = "甲承运"
    carrier.save()
    # The attribution keeps the names it was worded with; new evidence words it again.
    incidents_reattribute(shipment=chain.shipment)
    owner_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    html = owner_client.get(detail(chain.shipment)).content.decode()

    assert "甲承运" in html
    assert "Carrier X" not in html


def test_another_merchants_shipment_is_a_404(owner_client, chain):
    other = chain_world()
    assert owner_client.get(detail(other.shipment)).status_code == 404
    assert owner_client.post(detail(other.shipment), {"kind": "damage"}).status_code == 404
    assert not other.shipment.incidents.exists()
    assert owner_client.get(reverse("logistics:shipment", args=[999_999])).status_code == 404


def test_the_detail_costs_a_fixed_number_of_queries(owner_client, chain, broken):
    with assert_num_queries(DETAIL_PAGE_QUERIES, "one incident, one photo"):
        owner_client.get(detail(chain.shipment))
    handover_record(
        actor=chain.reviewer,
        shipment=chain.shipment,
        index=3,
        condition=Condition.DAMAGED,
        photos=[upload(image_bytes(), "a.jpg"), upload(image_bytes("PNG"), "b.png")],
    )
    for kind in (IncidentKind.DELAY, IncidentKind.MISSING_PART):
        incident_report(actor=chain.owner, shipment=chain.shipment, kind=kind)
    with assert_num_queries(DETAIL_PAGE_QUERIES, "three incidents, three photos"):
        response = owner_client.get(detail(chain.shipment))
    assert len(response.context["incidents"]) == 3


# Reporting an incident ---------------------------------------------------------------------------
def test_a_member_reports_an_incident_from_the_detail_page(owner_client, chain):
    for index in (0, 1):
        handover_record(
            actor=chain.reviewer, shipment=chain.shipment, index=index, condition="intact"
        )

    response = owner_client.post(
        detail(chain.shipment), {"kind": IncidentKind.MISSING_PART, "description": "No screws"}
    )

    assert response.status_code == 302
    assert response["Location"] == detail(chain.shipment) + "#incidents"
    incident = Incident.objects.get(shipment=chain.shipment)
    assert (incident.kind, incident.description, incident.reported_by) == (
        IncidentKind.MISSING_PART,
        "No screws",
        chain.owner,
    )
    assert incident.status in (IncidentStatus.OPEN, IncidentStatus.ATTRIBUTED)
    page = owner_client.get(response["Location"]).content.decode()
    assert "Incident reported on shipment ORD-CHAIN-1." in page
    assert "No screws" in page


def test_what_the_service_refuses_is_a_form_error(owner_client, chain):
    response = owner_client.post(
        detail(chain.shipment), {"kind": IncidentKind.DAMAGE, "description": "x" * (MAX_TEXT + 1)}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["description"] == [
        f"A description has at most {MAX_TEXT} characters."
    ]
    assert not Incident.objects.exists()


def test_an_unknown_kind_is_refused_by_the_form(owner_client, chain):
    response = owner_client.post(detail(chain.shipment), {"kind": "theft"})
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors
    assert not Incident.objects.exists()


# The inbox links to the shipment ---------------------------------------------------------------
def test_incident_and_breach_notifications_link_to_the_shipment(owner_client, chain, broken):
    kinds = set(
        Notification.objects.filter(merchant=chain.served.merchant).values_list("kind", flat=True)
    )
    assert NotificationKind.SHIPMENT_INCIDENT in kinds
    Notification.objects.create(
        merchant=chain.served.merchant,
        kind=NotificationKind.SLA_BREACH,
        subject="SLA breached",
        payload={"shipment": chain.shipment.pk},
        dedupe_key="test:breach",
    )
    Notification.objects.create(
        merchant=chain.served.merchant,
        kind=NotificationKind.GENERAL,
        subject="News",
        payload={"shipment": chain.shipment.pk},
        dedupe_key="test:general",
    )

    response = owner_client.get(reverse("merchants:inbox"))

    links = {n.kind: n.link for n in response.context["notifications"]}
    assert links[NotificationKind.SHIPMENT_INCIDENT][0] == detail(chain.shipment)
    assert links[NotificationKind.SLA_BREACH][0] == detail(chain.shipment)
    assert links[NotificationKind.GENERAL] is None
    assert f'href="{detail(chain.shipment)}"' in response.content.decode()


def test_the_navigation_links_to_the_shipments(owner_client, chain):
    html = owner_client.get(LIST).content.decode()
    assert f'<a href="{LIST}" aria-current="page">Shipments</a>' in html
    html = owner_client.get(detail(chain.shipment)).content.decode()
    assert f'<a href="{LIST}" aria-current="true">Shipments</a>' in html


def test_a_member_of_two_merchants_opens_either_ones_shipments(client, chain):
    second = chain_world()
    user = UserFactory()
    for merchant in (chain.served.merchant, second.served.merchant):
        MerchantMembershipFactory(user=user, merchant=merchant, role=MembershipRole.OPERATOR)
    client.force_login(user)

    for shipment in (chain.shipment, second.shipment):
        response = client.get(detail(shipment))
        assert response.status_code == 200
        # Back to the list of the shipment's own merchant.
        assert f"{LIST}?merchant={shipment.merchant_id}" in response.content.decode()


def test_a_handover_not_checked_reads_as_unknown(owner_client, chain):
    handover_record(
        actor=chain.reviewer, shipment=chain.shipment, index=0, condition=Condition.NOT_CHECKED
    )

    response = owner_client.get(detail(chain.shipment))

    pickup = response.context["timeline"].handovers[0]
    assert (pickup.tone, pickup.condition_label) == ("unknown", "Not checked")
    assert "timeline__step--handover timeline__step--unknown" in response.content.decode()


def test_a_notification_whose_payload_names_no_shipment_has_no_link(owner_client, chain):
    for key, payload in (("none", {}), ("text", {"shipment": "abc"})):
        Notification.objects.create(
            merchant=chain.served.merchant,
            kind=NotificationKind.SHIPMENT_INCIDENT,
            subject=f"Odd {key}",
            payload=payload,
            dedupe_key=f"test:{key}",
        )

    response = owner_client.get(reverse("merchants:inbox"))

    assert [n.link for n in response.context["notifications"]] == [None, None]
