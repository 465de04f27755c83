"""The operators' page (/console/operations/): queues, outbox, failed deliveries, recomputes."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from merchants.choices import NotificationStatus
from merchants.models import Notification
from programs.choices import RecomputeStatus
from programs.models import RecomputeRun
from tests.belts.factories import UserFactory
from tests.merchants.factories import NotificationFactory

URL = "/console/operations/"


@pytest.fixture
def operator(db):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="operate_platform"))
    return user


@pytest.mark.django_db
def test_only_operators_open_it_and_see_it_in_the_menu(client, operator):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    refused = client.get(URL)
    home_for_staff = client.get("/console/")
    client.force_login(operator)
    page = client.get(URL)
    home_for_operator = client.get("/console/")

    assert refused.status_code == 403
    assert URL not in home_for_staff.text
    assert page.status_code == 200
    assert URL in home_for_operator.text
    for heading in ("Queues and workers", "Outbox", "Failed deliveries", "Last recomputes"):
        assert heading in page.text
    # Eager (the embedded default): nothing is queued, and the page says so.
    assert "Tasks run in the web process" in page.text


@pytest.mark.django_db
def test_failed_deliveries_are_listed_and_retried_once(
    client, operator, django_capture_on_commit_callbacks
):
    failed = NotificationFactory(
        status=NotificationStatus.FAILED, attempts=8, last_error="550 mailbox unavailable"
    )
    delivered = NotificationFactory(
        status=NotificationStatus.DELIVERED, delivered_at=timezone.now(), subject="Fine one"
    )
    client.force_login(operator)
    page = client.get(URL)
    assert "550 mailbox unavailable" in page.text
    assert f'value="{failed.pk}"' in page.text
    assert "Fine one" not in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"notification": [failed.pk, delivered.pk, "x"]}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "1 delivery queued again." in response.text
    assert "1 was no longer failed and was left alone." in response.text
    failed.refresh_from_db()
    # Eager here: queued on commit and delivered at once, with a fresh count of attempts.
    assert (failed.status, failed.attempts) == (NotificationStatus.DELIVERED, 1)
    assert Notification.objects.get(pk=delivered.pk).attempts == delivered.attempts
    assert "No delivery has failed for good." in client.get(URL).text


@pytest.mark.django_db
def test_a_retry_needs_a_choice_and_the_permission(client, operator):
    failed = NotificationFactory(status=NotificationStatus.FAILED)
    client.force_login(UserFactory(is_staff=True))
    assert client.post(URL, {"notification": [failed.pk]}).status_code == 403
    client.force_login(operator)
    response = client.post(URL, {}, follow=True)

    assert "Choose the deliveries to retry." in response.text
    assert Notification.objects.get(pk=failed.pk).status == NotificationStatus.FAILED


@pytest.mark.django_db
def test_recomputes_with_their_figures_and_a_stalled_one(client, operator, settings):
    settings.CELERY_TASK_TIME_LIMIT = 1800
    now = timezone.now()
    RecomputeRun.objects.create(
        trigger="nightly",
        status=RecomputeStatus.FINISHED,
        as_of=now.date(),
        started_at=now - datetime.timedelta(days=1, minutes=4),
        finished_at=now - datetime.timedelta(days=1),
        chunks=20,
        chunks_done=21,  # a chunk redelivered after it finished counts twice: capped
        merchants=100_000,
        written=4321,
    )
    RecomputeRun.objects.create(
        trigger="publish",
        as_of=now.date(),
        started_at=now - datetime.timedelta(hours=2),
        chunks=20,
        chunks_done=7,
    )
    client.force_login(operator)

    page = client.get(URL).text

    assert "20 / 20" in page
    assert "100,000" in page
    assert "4,321" in page
    assert "0:04:00" in page
    assert "7 / 20" in page
    assert "Stalled: a chunk failed for good" in page


@pytest.mark.django_db
def test_a_broker_that_is_down_is_said_and_the_rest_still_shows(client, operator, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    NotificationFactory(status=NotificationStatus.FAILED, last_error="timeout")
    client.force_login(operator)

    page = client.get(URL)

    assert page.status_code == 200
    assert "The broker does not answer" in page.text
    assert "timeout" in page.text
