"""Lockout after repeated failed logins (django-axes), on the portal's and the console's login:
the page a locked-out user sees, what the lock is counted by, unlocking from the console, and
what the lock does not touch (API keys)."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests.belts.factories import StaffUserFactory, SuperUserFactory, UserFactory
from tests.merchants.factories import ApiKeyFactory, MerchantFactory
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

PORTAL_LOGIN = reverse("portal:login")
CONSOLE_LOGIN = reverse("admin:login")
PASSWORD = "pass-word-123"  # UserFactory's
LOCKED_OUT_QUERIES = 11


def attempt(client, url, username, password, address="203.0.113.5"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, url, username, times, address="203.0.113.5"):
    return [attempt(client, url, username, "wrong", address) for _ in range(times)]


def test_the_limit_is_five_failures_in_the_test_settings_too(settings):
    assert settings.AXES_ENABLED
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_the_portal_locks_a_login_after_five_failures(client):
    UserFactory(username="shopkeeper")

    before = fail(client, PORTAL_LOGIN, "shopkeeper", 4)
    assert [response.status_code for response in before] == [200] * 4  # the form, with its error
    fifth = attempt(client, PORTAL_LOGIN, "shopkeeper", "wrong")

    assert fifth.status_code == 429
    # Even the right password is refused now, with the same page.
    locked = attempt(client, PORTAL_LOGIN, "shopkeeper", PASSWORD)
    assert locked.status_code == 429
    assert not locked.wsgi_request.user.is_authenticated
    html = locked.content.decode()
    assert "Logging in is paused" in html
    assert "Try again in 15 minutes." in html
    assert 'class="site-header' in html  # the portal's look
    assert f'href="{reverse("portal:password-reset")}"' in html
    assert AccessFailureLog.objects.filter(username="shopkeeper").count() == 6


def test_the_lock_is_per_username_and_address(client):
    UserFactory(username="shopkeeper")
    UserFactory(username="neighbour")
    fail(client, PORTAL_LOGIN, "shopkeeper", 5)

    # The same user from another address, and another user from the same address, log in.
    elsewhere = attempt(client, PORTAL_LOGIN, "shopkeeper", PASSWORD, address="198.51.100.7")
    assert elsewhere.status_code == 302
    client.post(reverse("portal:logout"))
    neighbour = attempt(client, PORTAL_LOGIN, "neighbour", PASSWORD)
    assert neighbour.status_code == 302


def test_a_successful_login_starts_the_count_again(client):
    UserFactory(username="shopkeeper")
    fail(client, PORTAL_LOGIN, "shopkeeper", 4)
    assert attempt(client, PORTAL_LOGIN, "shopkeeper", PASSWORD).status_code == 302
    client.post(reverse("portal:logout"))

    responses = fail(client, PORTAL_LOGIN, "shopkeeper", 4)

    assert [response.status_code for response in responses] == [200] * 4


def test_the_lockout_page_is_translated(client):
    UserFactory(username="shopkeeper")
    client.post(reverse("set_language"), {"language": "zh-hans", "next": PORTAL_LOGIN})

    response = fail(client, PORTAL_LOGIN, "shopkeeper", 5)[-1]

    assert response.status_code == 429
    with translation.override("zh-hans"):
        title = translation.gettext("Logging in is paused")
    assert title in response.content.decode()
    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_console_locks_a_login_after_five_failures(client):
    StaffUserFactory(username="reviewer")

    fifth = fail(client, CONSOLE_LOGIN, "reviewer", 5)[-1]
    locked = attempt(client, CONSOLE_LOGIN, "reviewer", PASSWORD)

    for response in (fifth, locked):
        assert response.status_code == 429
    html = locked.content.decode()
    assert "Logging in is paused" in html
    assert 'id="site-name"' in html  # the console's look
    assert 'class="site-header' not in html
    assert not locked.wsgi_request.user.is_authenticated


def test_one_login_counts_on_both_forms(client):
    """The count is the user's at that address, wherever the form is: guessing cannot go on
    at the other door."""
    StaffUserFactory(username="reviewer")
    fail(client, PORTAL_LOGIN, "reviewer", 3)
    fail(client, CONSOLE_LOGIN, "reviewer", 2)

    assert attempt(client, CONSOLE_LOGIN, "reviewer", PASSWORD).status_code == 429


# Unlocking ----------------------------------------------------------------------------------------
CHANGELIST = reverse("admin:axes_accessattempt_changelist")


def test_a_superuser_unlocks_from_the_console(client):
    UserFactory(username="shopkeeper")
    fail(client, PORTAL_LOGIN, "shopkeeper", 5)
    attempt_row = AccessAttempt.objects.get(username="shopkeeper")
    admin = SuperUserFactory()
    client.force_login(admin)

    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "shopkeeper" in page.content.decode()
    response = client.post(
        CHANGELIST,
        {"action": "unlock", "_selected_action": [attempt_row.pk]},
        follow=True,
    )

    assert "1 login unlocked." in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert AccessFailureLog.objects.filter(username="shopkeeper").count() == 5  # kept
    client.logout()
    assert attempt(client, PORTAL_LOGIN, "shopkeeper", PASSWORD).status_code == 302


def test_staff_without_the_permission_see_no_attempts(client):
    client.force_login(StaffUserFactory())

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 403


def test_viewing_is_not_unlocking(client):
    UserFactory(username="shopkeeper")
    fail(client, PORTAL_LOGIN, "shopkeeper", 5)
    viewer = StaffUserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_accessattempt"))
    client.force_login(viewer)

    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert 'value="unlock"' not in page.content.decode()
    client.post(
        CHANGELIST,
        {"action": "unlock", "_selected_action": [AccessAttempt.objects.get().pk]},
    )
    assert AccessAttempt.objects.filter(username="shopkeeper").exists()


def test_the_failure_log_is_read_only(client):
    client.force_login(SuperUserFactory())

    response = client.get(reverse("admin:axes_accessfailurelog_changelist"))

    assert response.status_code == 200
    assert 'value="delete_selected"' not in response.content.decode()


def test_axes_reset_username_unlocks_from_the_command_line(client):
    UserFactory(username="shopkeeper")
    fail(client, PORTAL_LOGIN, "shopkeeper", 5)

    call_command("axes_reset_username", "shopkeeper")

    assert attempt(client, PORTAL_LOGIN, "shopkeeper", PASSWORD).status_code == 302


# What the lock does not touch --------------------------------------------------------------------
def test_api_keys_are_not_counted_nor_locked(client):
    api_key = ApiKeyFactory(merchant=MerchantFactory())
    headers = {"HTTP_AUTHORIZATION": "Api-Key not-a-key", "REMOTE_ADDR": "203.0.113.5"}
    for _ in range(7):
        assert client.get("/api/v1/merchants/", **headers).status_code == 401

    response = client.get(
        "/api/v1/merchants/",
        HTTP_AUTHORIZATION=f"Api-Key {api_key.raw_key}",
        REMOTE_ADDR="203.0.113.5",
    )

    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()


def test_a_locked_out_attempt_costs_a_fixed_number_of_queries(client):
    UserFactory(username="shopkeeper")
    fail(client, PORTAL_LOGIN, "shopkeeper", 5)

    # All axes': the lock looked up, expired attempts cleaned up, the failure counted again (its
    # row read and updated, in a savepoint), the lock looked up again, the failure logged and
    # the log's length per user checked (in a savepoint). No password is checked, and the page
    # itself reads nothing.
    with assert_num_queries(LOCKED_OUT_QUERIES, "locked out") as context:
        assert attempt(client, PORTAL_LOGIN, "shopkeeper", PASSWORD).status_code == 429
    assert not [q for q in context.captured_queries if "auth_user" in q["sql"]]


def test_a_successful_login_is_not_recorded(client):
    UserFactory(username="shopkeeper")

    assert attempt(client, PORTAL_LOGIN, "shopkeeper", PASSWORD).status_code == 302

    assert not AccessLog.objects.exists()
    assert not AccessAttempt.objects.exists()
