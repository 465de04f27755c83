"""The portal user's own account: notification preferences (in-app always, e-mail per kind),
changing the password, and choosing a new one through a link sent by e-mail."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from merchants.choices import MembershipRole, NotificationKind
from merchants.models import NotificationPreference
from tests.belts.factories import UserFactory
from tests.merchants.factories import MerchantMembershipFactory
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

PREFERENCES = reverse("merchants:preferences")
CHANGE = reverse("portal:password-change")
RESET = reverse("portal:password-reset")
MEMBER_KINDS = [
    NotificationKind.ELIGIBILITY_GAINED,
    NotificationKind.ELIGIBILITY_LOST,
    NotificationKind.ENROLLMENT_CHANGED,
    NotificationKind.SHIPMENT_INCIDENT,
    NotificationKind.SLA_BREACH,
]


def chosen(user) -> dict[str, bool]:
    return dict(
        NotificationPreference.objects.filter(user=user).values_list("kind", "email_enabled")
    )


# Preferences ------------------------------------------------------------------------------------
def test_preferences_show_in_app_always_on_and_email_per_kind(owner_client):
    response = owner_client.get(PREFERENCES)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="in-app-always" checked disabled' in html
    assert list(response.context["form"].fields) == MEMBER_KINDS
    # E-mail is on until the user turns it off.
    for kind in MEMBER_KINDS:
        assert f'name="{kind}" id="id_{kind}" checked' in html
    assert NotificationKind.REVIEW_AWAITING not in html


def test_saving_turns_off_the_boxes_left_unticked(owner_client, owner):
    response = owner_client.post(
        PREFERENCES,
        {NotificationKind.ENROLLMENT_CHANGED: "on", NotificationKind.SHIPMENT_INCIDENT: "on"},
        follow=True,
    )

    assert response.redirect_chain == [(PREFERENCES, 302)]
    assert "Your notification preferences are saved." in response.content.decode()
    assert chosen(owner) == {
        NotificationKind.ELIGIBILITY_GAINED: False,
        NotificationKind.ELIGIBILITY_LOST: False,
        NotificationKind.ENROLLMENT_CHANGED: True,
        NotificationKind.SHIPMENT_INCIDENT: True,
        NotificationKind.SLA_BREACH: False,
    }
    html = response.content.decode()
    assert f'name="{NotificationKind.SLA_BREACH}" id="id_{NotificationKind.SLA_BREACH}">' in html


def test_a_kind_not_shown_keeps_its_setting(owner_client, owner):
    NotificationPreference.objects.create(
        user=owner, kind=NotificationKind.GENERAL, email_enabled=False
    )

    owner_client.post(PREFERENCES, {NotificationKind.GENERAL: "on"})

    assert chosen(owner)[NotificationKind.GENERAL] is False


def test_preferences_are_the_users_own(client, owner, merchant):
    # Another member of the same merchant, and a member of another merchant.
    colleague = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OPERATOR).user
    stranger = MerchantMembershipFactory().user
    NotificationPreference.objects.create(
        user=owner, kind=NotificationKind.SLA_BREACH, email_enabled=False
    )

    for user in (colleague, stranger):
        client.force_login(user)
        response = client.get(PREFERENCES)
        assert response.context["form"].fields[NotificationKind.SLA_BREACH].initial is True
        client.post(PREFERENCES, {})
    assert chosen(owner) == {NotificationKind.SLA_BREACH: False}
    assert set(chosen(stranger).values()) == {False}


def test_anonymous_is_sent_to_log_in_and_changes_nothing(client):
    for response in (client.get(PREFERENCES), client.post(PREFERENCES, {})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('portal:login')}?next={PREFERENCES}"
    assert not NotificationPreference.objects.exists()


def test_preferences_query_counts(owner_client):
    # Session, user, the preferences, the unread count.
    with assert_num_queries(4, "page"):
        owner_client.get(PREFERENCES)
    # Session, user, the preferences, one upsert of every kind shown.
    with assert_num_queries(4, "save"):
        owner_client.post(PREFERENCES, {})


def test_the_account_menu_and_the_inbox_link_to_the_preferences(owner_client):
    html = owner_client.get(reverse("merchants:inbox")).content.decode()

    menu = html.split('class="account-menu"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{PREFERENCES}"' in menu
    assert f'href="{CHANGE}"' in menu


# Changing the password --------------------------------------------------------------------------
def test_changing_the_password(owner_client, owner):
    page = owner_client.get(CHANGE)
    assert page.status_code == 200
    assert b"site-header" in page.content  # the portal's look, not the console's
    assert b'name="old_password"' in page.content

    response = owner_client.post(
        CHANGE,
        {
            "old_password": "pass-word-123",
            "new_password1": "belt-new-secret-42",
            "new_password2": "belt-new-secret-42",
        },
        follow=True,
    )

    assert response.redirect_chain == [(reverse("portal:password-change-done"), 302)]
    assert b"Your password is changed." in response.content
    owner.refresh_from_db()
    assert owner.check_password("belt-new-secret-42")
    # Still signed in: the session follows the new password.
    assert owner_client.get(PREFERENCES).status_code == 200


def test_a_wrong_current_password_changes_nothing(owner_client, owner):
    response = owner_client.post(
        CHANGE,
        {
            "old_password": "wrong",
            "new_password1": "belt-new-secret-42",
            "new_password2": "belt-new-secret-42",
        },
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password("pass-word-123")


@pytest.mark.parametrize("url_name", ["portal:password-change", "portal:password-change-done"])
def test_anonymous_is_sent_to_the_portal_login_to_change_a_password(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_the_consoles_password_change_keeps_the_consoles_look(admin_client):
    response = admin_client.get(reverse("admin:password_change"))

    assert response.status_code == 200
    assert b"site-header" not in response.content
    assert b'id="site-name"' in response.content


# Choosing a new password by e-mail --------------------------------------------------------------
def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/portal/password/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_login_page_offers_a_reset(client):
    html = client.get(reverse("portal:login")).content.decode()

    assert f'<a href="{RESET}">Forgot password?</a>' in html


def test_reset_by_email_end_to_end(client):
    user = UserFactory(username="shopkeeper", email="shop@example.com")

    response = client.post(RESET, {"email": "shop@example.com"}, follow=True)

    assert response.redirect_chain == [(reverse("portal:password-reset-done"), 302)]
    assert b"Check your e-mail" in response.content
    (message,) = mail.outbox
    assert message.to == ["shop@example.com"]
    assert message.subject == "Choose a new password for the Belt Ops merchant portal"
    assert "Hello shopkeeper," in message.body
    assert "&#x27;" not in message.body
    assert "&amp;" not in message.body

    # The link, then the page it redirects to (the token moves out of the address).
    page = client.get(reset_link(message), follow=True)
    assert page.status_code == 200
    assert page.context["validlink"] is True
    set_password_url = page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": "belt-reset-secret-7", "new_password2": "belt-reset-secret-7"},
        follow=True,
    )
    assert done.redirect_chain == [(reverse("portal:password-reset-complete"), 302)]
    user.refresh_from_db()
    assert user.check_password("belt-reset-secret-7")

    # Used once: the same link does not work again.
    again = client.get(reset_link(message), follow=True)
    assert again.context["validlink"] is False
    assert b"This link does not work any more" in again.content


def test_the_reset_email_speaks_the_readers_language(client):
    UserFactory(username="shopkeeper", email="shop@example.com")
    client.post(reverse("set_language"), {"language": "zh-hans", "next": RESET})

    client.post(RESET, {"email": "shop@example.com"})

    (message,) = mail.outbox
    with translation.override("zh-hans"):
        expected = translation.gettext("Choose a new password for the Belt Ops merchant portal")
    assert message.subject == expected
    assert reset_link(message)


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    response = client.post(RESET, {"email": "nobody@example.com"}, follow=True)

    assert response.redirect_chain == [(reverse("portal:password-reset-done"), 302)]
    assert mail.outbox == []


def test_an_inactive_user_gets_no_reset_email(client):
    user = UserFactory(username="gone", email="gone@example.com")
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)

    client.post(RESET, {"email": "gone@example.com"})

    assert mail.outbox == []


# Query counts of the account's pages -------------------------------------------------------------
def test_password_pages_query_counts(owner_client):
    # Session, user, the unread count of the navigation.
    with assert_num_queries(3, "change form"):
        assert owner_client.get(CHANGE).status_code == 200
    client = Client()
    # Anonymous: no session row, no user.
    with assert_num_queries(0, "reset form"):
        assert client.get(RESET).status_code == 200
    UserFactory(username="shopkeeper", email="shop@example.com")
    # The users with the address (one query), whatever the address.
    with assert_num_queries(1, "reset request"):
        client.post(RESET, {"email": "shop@example.com"})
