"""Outgoing webhooks: endpoints, the fan-out of merchants' events to them, and delivery.

An endpoint belongs to one merchant or one operation center. When a merchant's in-app message
(the one addressed to the merchant as a whole: eligibility gained or lost, enrollment changed,
...) is delivered, :func:`webhook_fan_out` writes one webhook notification per active endpoint
that subscribed to its kind: the merchant's own endpoints and those of the centers serving its
belt. They go through the outbox like any other message (claim, retries with backoff, sweep), in
the transaction that marks the in-app message delivered, so both eligibility engines feed
webhooks without knowing about them, and no request or recompute waits for a receiver.

Each delivery is a signed POST (:mod:`merchants.webhook_http`): 2xx delivers it; a network
error, a timeout, 408, 429 and 5xx are retried; any other answer fails it for good. A run of
``WEBHOOK_DISABLE_AFTER`` deliveries failed for good (or out of retries) switches the endpoint
off and tells its owner; a delivered one resets the run. The protocol is in docs/api.md.
"""

from __future__ import annotations

import datetime
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from belts.models import OperationCenter, OperationCenterMembership

from .choices import (
    MembershipRole,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    WebhookEvent,
)
from .exceptions import WebhookError
from .models import Merchant, MerchantMembership, Notification, WebhookEndpoint
from .scoping import centers_serving
from .services.notifications import (
    NotificationDraft,
    drafts_for_users,
    notification_texts,
    notifications_create,
    register_renderer,
)
from .webhook_http import (
    UnsafeWebhookURL,
    WebhookNetworkError,
    signature,
    webhook_post,
    webhook_url_check,
)

MAX_ENDPOINTS_PER_OWNER = 20
URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200
SECRET_PREFIX = "whsec_"  # noqa: S105 - the label in front of a secret, not one
# Answers worth trying again: the receiver timed out or asked to slow down.
TRANSIENT_STATUSES = frozenset({408, 429})


# Texts --------------------------------------------------------------------------------------------
def _ping_texts(payload: dict[str, Any]) -> tuple[str, str]:
    return (
        _("Webhook test"),
        _("A test event for the webhook endpoint %(url)s.") % {"url": payload.get("url", "")},
    )


def _disabled_texts(payload: dict[str, Any]) -> tuple[str, str]:
    values = {"url": payload.get("url", ""), "failures": payload.get("failures", "")}
    return (
        _("Webhook disabled: %(url)s") % values,
        _(
            "After %(failures)s failed deliveries in a row, events are no longer sent to "
            "%(url)s. Fix the receiver, then switch the endpoint on again."
        )
        % values,
    )


def register_notification_renderers() -> None:
    register_renderer(NotificationKind.PING, _ping_texts)
    register_renderer(NotificationKind.WEBHOOK_DISABLED, _disabled_texts)


# Endpoints ---------------------------------------------------------------------------------------
def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > URL_MAX_LENGTH:
        raise WebhookError(
            _("The address may be at most %(max)s characters long.") % {"max": URL_MAX_LENGTH},
            field="url",
            code="too_long",
        )
    try:
        URLValidator(schemes=["https", "http"])(url)
        webhook_url_check(url)
    except ValidationError as error:
        raise WebhookError(_("The address is not a valid URL."), field="url") from error
    except UnsafeWebhookURL as error:
        raise WebhookError(str(error), field="url", code="unsafe_url") from error
    return url


def _clean_events(events: Sequence[str]) -> list[str]:
    allowed = set(WebhookEvent.values)
    unknown = [event for event in events if event not in allowed]
    if unknown:
        raise WebhookError(
            _("Unknown event: %(event)s.") % {"event": str(unknown[0])[:50]},
            field="events",
            code="unknown_event",
        )
    chosen = list(dict.fromkeys(events))
    if not chosen:
        raise WebhookError(_("Choose at least one event."), field="events", code="no_events")
    return chosen


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise WebhookError(
            _("The description may be at most %(max)s characters long.")
            % {"max": DESCRIPTION_MAX_LENGTH},
            field="description",
            code="too_long",
        )
    return description


def webhook_endpoint_create(
    *,
    merchant: Merchant | None = None,
    operation_center: OperationCenter | None = None,
    url: str,
    events: Sequence[str],
    description: str = "",
    actor,
) -> WebhookEndpoint:
    """A new active endpoint of exactly one owner, with a fresh signing secret.

    Guarantees: the address passed the SSRF guard; at least one known event; the owner never
    has more than ``MAX_ENDPOINTS_PER_OWNER`` endpoints, also under concurrent creates (the
    owner's row is locked while counting). The caller has checked that ``actor`` may manage
    the owner's endpoints (``selectors.webhook_endpoint_owner_*``)."""
    if (merchant is None) == (operation_center is None):
        raise WebhookError(
            _("An endpoint belongs to either a merchant or an operation center."),
            field="merchant",
            code="owner_required",
        )
    url = _clean_url(url)
    events = _clean_events(events)
    description = _clean_description(description)
    with transaction.atomic():
        if merchant is not None:
            Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
            owned = WebhookEndpoint.objects.filter(merchant=merchant)
        else:
            OperationCenter.objects.select_for_update().filter(pk=operation_center.pk).first()
            owned = WebhookEndpoint.objects.filter(operation_center=operation_center)
        if owned.count() >= MAX_ENDPOINTS_PER_OWNER:
            raise WebhookError(
                _("No more than %(max)s webhook endpoints per owner.")
                % {"max": MAX_ENDPOINTS_PER_OWNER},
                code="too_many",
            )
        return WebhookEndpoint.objects.create(
            merchant=merchant,
            operation_center=operation_center,
            url=url,
            events=events,
            description=description,
            secret=_new_secret(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change the fields given (None: leave it). Switching an endpoint on again starts its run
    of failures over and clears ``disabled_at``."""
    changes: dict[str, Any] = {}
    if url is not None:
        changes["url"] = _clean_url(url)
    if events is not None:
        changes["events"] = _clean_events(events)
    if description is not None:
        changes["description"] = _clean_description(description)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if is_active is not None and is_active != endpoint.is_active:
            changes["is_active"] = is_active
            if is_active:
                changes.update(consecutive_failures=0, disabled_at=None)
        changes = {name: v for name, v in changes.items() if getattr(endpoint, name) != v}
        if changes:
            for name, value in changes.items():
                setattr(endpoint, name, value)
            endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its deliveries (one statement each); a pending delivery is
    gone with it."""
    endpoint.delete()


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret, in force for every delivery attempted from now on."""
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def webhook_ping(*, endpoint: WebhookEndpoint) -> Notification:
    """Queue a ``ping`` delivery to the endpoint through the outbox (also to a switched-off
    one, so a fixed receiver can be tried before it is switched on again)."""
    key = f"webhook-ping:{endpoint.pk}:{uuid.uuid4().hex}"
    with transaction.atomic():
        notifications_create(
            [
                NotificationDraft(
                    dedupe_key=key,
                    kind=NotificationKind.PING,
                    merchant_id=endpoint.merchant_id,
                    channel=NotificationChannel.WEBHOOK,
                    payload={"endpoint": endpoint.pk, "url": endpoint.url},
                    webhook_endpoint_id=endpoint.pk,
                )
            ]
        )
        return Notification.objects.get(dedupe_key=key)


# Fan-out -----------------------------------------------------------------------------------------
def _public_payload(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        return {}
    return {key: value for key, value in payload.items() if key != "texts"}


def webhook_fan_out(*, notifications: Sequence[Notification]) -> int:
    """Write one webhook delivery per active endpoint subscribed to each of these merchants'
    in-app notifications: the merchant's endpoints and those of the centers serving its belt.

    Runs in the caller's transaction (the one marking them delivered); the dedupe key
    ``<key>:webhook:<endpoint id>`` makes a second fan-out of the same message write nothing.
    Three queries at most, whatever the number of notifications and endpoints."""
    candidates = [
        n for n in notifications if n.merchant_id is not None and n.kind in WebhookEvent.values
    ]
    if not candidates:
        return 0
    merchant_ids = {n.merchant_id for n in candidates}
    serving = centers_serving(merchant_ids)
    center_ids = set().union(*serving.values()) if serving else set()
    endpoints = list(
        WebhookEndpoint.objects.filter(is_active=True)
        .filter(Q(merchant_id__in=merchant_ids) | Q(operation_center_id__in=center_ids))
        .only("id", "merchant_id", "operation_center_id", "events")
        .order_by("id")
    )
    if not endpoints:
        return 0
    drafts = []
    for notification in candidates:
        centers = serving.get(notification.merchant_id, set())
        targets = [
            endpoint
            for endpoint in endpoints
            if notification.kind in endpoint.events
            and (
                endpoint.merchant_id == notification.merchant_id
                or endpoint.operation_center_id in centers
            )
        ]
        if not targets:
            continue
        texts = {code: notification_texts(notification, code) for code, _name in settings.LANGUAGES}
        payload = _public_payload(notification.payload)
        drafts += [
            NotificationDraft(
                dedupe_key=f"{notification.dedupe_key}:webhook:{endpoint.pk}",
                kind=notification.kind,
                texts=texts,
                merchant_id=notification.merchant_id,
                channel=NotificationChannel.WEBHOOK,
                payload=payload,
                webhook_endpoint_id=endpoint.pk,
            )
            for endpoint in targets
        ]
    return notifications_create(drafts)


# Delivery ----------------------------------------------------------------------------------------
def webhook_body(notification: Notification) -> bytes:
    """The JSON body of a delivery: the same bytes on every attempt."""
    texts = {code: notification_texts(notification, code) for code, _name in settings.LANGUAGES}
    body = {
        "id": str(notification.delivery_id),
        "event": notification.kind,
        "created_at": notification.created_at.isoformat(),
        "data": {
            "merchant": notification.merchant_id,
            "payload": _public_payload(notification.payload),
            "subject": {code: text["subject"] for code, text in texts.items()},
            "body": {code: text["body"] for code, text in texts.items()},
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    outcome: str  # "delivered", "transient" or "failed"
    error: str = ""
    response_code: int | None = None
    latency_ms: int | None = None
    # Whether it counts in the endpoint's run of failures (a switched-off endpoint's does not).
    counts: bool = True


def webhook_send(*, notification: Notification) -> WebhookAttempt:
    """POST one claimed delivery to its endpoint; write nothing. Never raises for the
    receiver's or the network's sake: the answer says what happened."""
    endpoint = notification.webhook_endpoint
    if endpoint is None:
        return WebhookAttempt("failed", _("The endpoint no longer exists."), counts=False)
    if not endpoint.is_active and notification.kind != NotificationKind.PING:
        return WebhookAttempt("failed", _("The endpoint is switched off."), counts=False)
    body = webhook_body(notification)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Belt-Ops-Webhooks/1.0",
        "Belt-Ops-Signature": signature(endpoint.secret, int(time.time()), body),
        "Belt-Ops-Delivery": str(notification.delivery_id),
        "Belt-Ops-Event": notification.kind,
    }
    try:
        response = webhook_post(url=endpoint.url, body=body, headers=headers)
    except UnsafeWebhookURL as error:
        return WebhookAttempt("failed", str(error))
    except WebhookNetworkError as error:
        return WebhookAttempt("transient", str(error), latency_ms=error.latency_ms)
    code = response.status
    if 200 <= code < 300:
        return WebhookAttempt("delivered", response_code=code, latency_ms=response.latency_ms)
    error = _("The receiver answered %(code)s.") % {"code": code}
    if response.snippet:
        error = f"{error} {response.snippet}"
    transient = code >= 500 or code in TRANSIENT_STATUSES
    return WebhookAttempt(
        "transient" if transient else "failed",
        error[:1000],
        response_code=code,
        latency_ms=response.latency_ms,
    )


def webhook_attempt_record(
    *, notification: Notification, attempt: WebhookAttempt, status: str | None
) -> None:
    """Count an attempt in its endpoint's run, in the transaction that recorded it (``status``:
    what the delivery was left in). Delivered: the run starts over. Failed for good (or out of
    retries): the run grows, and at ``WEBHOOK_DISABLE_AFTER`` the endpoint is switched off and
    its owner told, once (the switch is a conditional update)."""
    if status is None or not attempt.counts or notification.webhook_endpoint_id is None:
        return
    endpoints = WebhookEndpoint.objects.filter(pk=notification.webhook_endpoint_id)
    if status == NotificationStatus.DELIVERED:
        endpoints.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
    elif status == NotificationStatus.FAILED:
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        now = timezone.now()
        switched_off = endpoints.filter(
            is_active=True, consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER
        ).update(is_active=False, disabled_at=now)
        if switched_off:
            _notify_disabled(endpoints.get(), now)


def _owner_user_ids(endpoint: WebhookEndpoint) -> list[int]:
    """Who is told about the endpoint: the merchant's owner, or the center's staff."""
    if endpoint.merchant_id is not None:
        users = MerchantMembership.objects.filter(
            merchant_id=endpoint.merchant_id, role=MembershipRole.OWNER
        ).values_list("user_id", flat=True)
    else:
        users = OperationCenterMembership.objects.filter(
            center_id=endpoint.operation_center_id
        ).values_list("user_id", flat=True)
    return list(
        get_user_model().objects.filter(pk__in=users, is_active=True).values_list("pk", flat=True)
    )


def _notify_disabled(endpoint: WebhookEndpoint, now: datetime.datetime) -> int:
    user_ids = _owner_user_ids(endpoint)
    if not user_ids:
        return 0
    return notifications_create(
        drafts_for_users(
            user_ids=user_ids,
            kind=NotificationKind.WEBHOOK_DISABLED,
            key=f"webhook-disabled:{endpoint.pk}:{now.isoformat()}",
            texts=None,
            payload={
                "endpoint": endpoint.pk,
                "url": endpoint.url,
                "failures": endpoint.consecutive_failures,
            },
        )
    )
