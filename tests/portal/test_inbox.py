"""The inbox: one's own in-app notifications and those of one's merchants, newest first, in the
active language; marking read by POST only; the unread count in the navigation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from merchants.choices import MembershipRole, NotificationChannel, NotificationKind
from merchants.models import Notification
from merchants.selectors import inbox_notification_list, inbox_unread_count
from tests.belts.factories import UserFactory
from tests.merchants.factories import MerchantMembershipFactory, NotificationFactory
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

# Session, user, the unread count, the user's merchants (the inbox's own, read first so both kinds
# come from their indexes), the page's count and its rows, the user's merchants (for the links).
INBOX_PAGE_QUERIES = 7


def to_merchant(merchant, subject="For the shop", **kwargs):
    """An in-app message every member of the merchant reads."""
    return NotificationFactory(merchant=merchant, recipient=None, subject=subject, **kwargs)


def to_user(user, subject="For you", **kwargs):
    return NotificationFactory(recipient=user, subject=subject, **kwargs)


def inbox(client, **params):
    return client.get(reverse("merchants:inbox"), params)


def subjects(response) -> list[str]:
    return [n.display_subject for n in response.context["notifications"]]


def test_lists_ones_own_and_ones_merchants_notifications_only(owner_client, owner, merchant):
    mine = to_user(owner, "Personal")
    shop = to_merchant(merchant, "Shop news")
    someone_else = UserFactory()
    to_user(someone_else, "Not yours")
    to_merchant(MerchantMembershipFactory().merchant, "Another shop's")
    # To another member, about this merchant: theirs, not the owner's.
    to_user(someone_else, "About the shop, to a colleague", merchant=merchant)
    # Not in-app: e-mails live in their own channel.
    to_user(owner, "An e-mail", channel=NotificationChannel.EMAIL)

    response = inbox(owner_client)

    assert response.status_code == 200
    assert {n.pk for n in response.context["notifications"]} == {mine.pk, shop.pk}
    html = response.content.decode()
    assert "Shop news" in html
    assert "Personal" in html
    for hidden in ("Not yours", "Another shop", "About the shop", "An e-mail"):
        assert hidden not in html


def test_newest_first_and_unread_highlighted(owner_client, owner, merchant):
    older = to_user(owner, "Older")
    newer = to_merchant(merchant, "Newer")
    Notification.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2), read_at=timezone.now()
    )

    response = inbox(owner_client)

    assert [n.pk for n in response.context["notifications"]] == [newer.pk, older.pk]
    html = response.content.decode()
    assert html.count("inbox__item--unread") == 1
    assert html.index("Newer") < html.index("Older")


def test_subject_and_body_in_the_active_language(owner_client, owner):
    to_user(
        owner,
        "You are eligible for Star Origin",
        body="English body",
        payload={
            "texts": {
                "en": {"subject": "You are eligible for Star Origin", "body": "English body"},
                "zh-hans": {"subject": "您已符合星源计划的条件", "body": "中文正文"},
            }
        },
    )
    to_user(owner, "Only in English", body="No Chinese text stored")

    english = inbox(owner_client)
    owner_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    chinese = inbox(owner_client)

    assert "You are eligible for Star Origin" in subjects(english)
    assert "您已符合星源计划的条件" in subjects(chinese)
    assert "中文正文" in chinese.content.decode()
    assert "Only in English" in subjects(chinese)  # falls back to the stored subject


def test_pages_of_25(owner_client, owner):
    for number in range(30):
        to_user(owner, f"Message {number}")

    first = inbox(owner_client)
    second = inbox(owner_client, page=2)

    assert len(first.context["notifications"]) == 25
    assert len(second.context["notifications"]) == 5
    assert 'rel="next"' in first.content.decode()


def test_mark_one_read_by_post(owner_client, owner, merchant):
    notification = to_merchant(merchant)

    response = owner_client.post(reverse("merchants:inbox-read", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("merchants:inbox")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_read_is_a_post_only(owner_client, owner):
    notification = to_user(owner)

    for url in (
        reverse("merchants:inbox-read", args=[notification.pk]),
        reverse("merchants:inbox-read-all"),
    ):
        assert owner_client.get(url).status_code == 405

    notification.refresh_from_db()
    assert notification.read_at is None


def test_someone_elses_notification_cannot_be_marked(owner_client):
    theirs = to_user(UserFactory())
    other_shop = to_merchant(MerchantMembershipFactory().merchant)

    for notification in (theirs, other_shop):
        response = owner_client.post(reverse("merchants:inbox-read", args=[notification.pk]))
        assert response.status_code == 404
        notification.refresh_from_db()
        assert notification.read_at is None


def test_mark_all_read_touches_only_ones_own(owner_client, owner, merchant):
    mine = [to_user(owner), to_merchant(merchant), to_merchant(merchant)]
    theirs = to_user(UserFactory())

    response = owner_client.post(reverse("merchants:inbox-read-all"), {"page": "2"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('merchants:inbox')}?page=2"
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_unread_count_in_the_navigation(owner_client, owner, merchant):
    to_user(owner)
    to_merchant(merchant)
    read = to_merchant(merchant)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    to_user(UserFactory())  # someone else's

    for url in (
        reverse("merchants:inbox"),
        reverse("merchants:metrics"),
        reverse("programs:eligibility"),
    ):
        response = owner_client.get(url)
        assert response.context["inbox_unread_count"] == 2, url
        assert '<span class="badge">2<span class="visually-hidden"> unread</span></span>' in (
            response.content.decode()
        ), url

    owner_client.post(reverse("merchants:inbox-read-all"))
    response = inbox(owner_client)
    assert response.context["inbox_unread_count"] == 0
    assert 'class="badge"' not in response.content.decode()


def test_anonymous_is_sent_to_the_portal_login(client):
    url = reverse("merchants:inbox")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"
    notification = NotificationFactory()
    response = client.post(reverse("merchants:inbox-read", args=[notification.pk]))
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is None


def test_an_empty_inbox(owner_client):
    response = inbox(owner_client)

    assert response.status_code == 200
    assert b"No messages yet." in response.content


def test_the_inbox_reads_the_users_messages_by_value_not_by_subquery(owner, merchant):
    """The user's merchants are read first and passed as values: an ``IN (subquery)`` inside the
    inbox's ``OR`` made PostgreSQL scan every in-app notification of the platform."""
    to_user(owner)
    to_merchant(merchant)
    inbox_list = inbox_notification_list(user=owner)
    sql = str(inbox_list.query)
    assert sql.count("SELECT") == 1, sql
    assert f"IN ({merchant.pk})" in sql
    assert len(inbox_list) == 2


def test_query_count_does_not_grow_with_the_page(owner_client, owner, merchant):
    to_user(owner)
    to_merchant(merchant)
    with assert_num_queries(INBOX_PAGE_QUERIES, "2 notifications"):
        response = inbox(owner_client)
    assert len(response.context["notifications"]) == 2

    for _ in range(15):
        to_user(owner)
        to_merchant(merchant)
    with assert_num_queries(INBOX_PAGE_QUERIES, "a full page of 25"):
        response = inbox(owner_client)
    assert len(response.context["notifications"]) == 25


# Each notification links to what it is about ---------------------------------------------------
def links(response) -> dict[str, tuple | None]:
    return {n.display_subject: n.link for n in response.context["notifications"]}


def test_an_enrollment_notice_links_to_the_application(owner_client, merchant):
    to_merchant(
        merchant,
        "Application approved",
        kind=NotificationKind.ENROLLMENT_CHANGED,
        payload={"enrollment": 41, "merchant": merchant.pk, "to": "approved"},
    )

    response = inbox(owner_client)

    url, label = links(response)["Application approved"]
    assert url == f"{reverse('programs:applications')}?merchant={merchant.pk}#application-41"
    assert label == "Open the application"
    assert f'href="{reverse("programs:applications")}?merchant={merchant.pk}#application-41"' in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    "kind", [NotificationKind.ELIGIBILITY_GAINED, NotificationKind.ELIGIBILITY_LOST]
)
def test_an_eligibility_notice_links_to_the_eligibility_page(owner_client, merchant, kind):
    to_merchant(merchant, "Eligibility", kind=kind, payload={"program": "star-origin"})

    (notification,) = inbox(owner_client).context["notifications"]
    url, label = notification.link

    assert url == f"{reverse('programs:eligibility')}?merchant={merchant.pk}"
    assert label == "See your eligibility"


def test_no_link_to_a_page_the_reader_may_not_see(owner_client, owner, merchant):
    # Addressed to the reader, but about a merchant they are no member of (as staff would be).
    to_user(
        owner,
        "About another shop",
        kind=NotificationKind.ENROLLMENT_CHANGED,
        merchant=MerchantMembershipFactory().merchant,
        payload={"enrollment": 7},
    )
    to_user(
        owner, "Review awaiting", kind=NotificationKind.REVIEW_AWAITING, payload={"enrollment": 7}
    )
    to_merchant(merchant, "Plain news", kind=NotificationKind.GENERAL, payload={"enrollment": 7})
    to_merchant(merchant, "No id", kind=NotificationKind.ENROLLMENT_CHANGED, payload={})

    found = links(inbox(owner_client))

    assert found == {
        "About another shop": None,
        "Review awaiting": None,
        "Plain news": None,
        "No id": None,
    }


def test_the_inbox_links_to_the_preferences(owner_client):
    html = inbox(owner_client).content.decode()

    assert f'href="{reverse("merchants:preferences")}"' in html


def test_the_portal_homes_recent_notifications_link_too(owner_client, merchant):
    to_merchant(
        merchant,
        "Application approved",
        kind=NotificationKind.ENROLLMENT_CHANGED,
        payload={"enrollment": 41, "merchant": merchant.pk, "to": "approved"},
    )

    response = owner_client.get(reverse("portal:home"))

    (line,) = response.context["notifications"]
    url = f"{reverse('programs:applications')}?merchant={merchant.pk}#application-41"
    assert line.link[0] == url
    assert f'<a href="{url}">Application approved</a>' in response.content.decode()


def test_the_badge_counts_what_the_inbox_lists_unread(owner, merchant):
    other_member = UserFactory()
    MerchantMembershipFactory(merchant=merchant, user=other_member, role=MembershipRole.OPERATOR)
    to_user(owner)
    to_user(owner, merchant=merchant)  # to the owner, about the shop: the owner's own
    to_merchant(merchant)
    to_merchant(merchant, channel=NotificationChannel.EMAIL)  # not in-app
    to_user(other_member, merchant=merchant)  # the other member's own
    to_merchant(MerchantMembershipFactory().merchant)  # another shop's
    read = to_merchant(merchant)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())

    listed = inbox_notification_list(user=owner).filter(read_at__isnull=True).count()
    assert listed == 3
    with assert_num_queries(1, "the badge"):
        assert inbox_unread_count(user=owner) == listed
    assert inbox_unread_count(user=other_member) == 2  # its own and the shop's
