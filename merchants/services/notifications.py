"""The notification outbox: writing messages in the caller's transaction, delivering after commit.

Writers call :func:`notifications_create` inside the transaction of the change that causes them;
a unique dedupe key makes a repeated write a no-op. Delivery runs in a Celery task queued on
commit; a claim (a conditional update) makes a repeated or concurrent delivery send nothing twice,
and a periodic sweep re-queues whatever a lost task message left pending.

Delivering a merchant's in-app message fans it out to the webhook endpoints that subscribed to
its kind (``merchants.webhooks``), in the transaction that marks it delivered; each webhook is a
notification of its own, delivered by its own task so that a slow receiver holds up no other.

This module owns the format of a notification, whoever writes it: the envelope
(:class:`NotificationDraft`: kind, channel, addressee, payload), the dedupe key
(:func:`notification_dedupe_key`), the stored English subject and body (rendered from the
payload by the kind's registered renderer) and the rows themselves. Other apps build drafts
(``drafts_for_merchant``, ``drafts_for_users``) and write them through
:func:`notifications_create` or, for a recompute's thousands at once,
:func:`notifications_insert_bulk`; none writes the table itself.
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import CharField, F, Field, Q, QuerySet
from django.utils import timezone, translation

from core import metrics
from core.lookups import AnyOf

from ..choices import NotificationChannel, NotificationStatus
from ..models import MerchantMembership, Notification, NotificationPreference

logger = logging.getLogger(__name__)


def claim_timeout() -> datetime.timedelta:
    """A claim older than this is considered abandoned (the worker died mid-delivery)."""
    return datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT)


def sweep_after() -> datetime.timedelta:
    """Pending notifications older than this are re-queued by the sweeper."""
    return datetime.timedelta(seconds=settings.NOTIFICATION_SWEEP_AFTER)


MAX_ATTEMPTS = 8


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: exponential (30 s, 60 s, ...
    30 min) with jitter (between half and all of it), so that the retries of many deliveries
    that failed together (a receiver down) do not all come back at the same second."""
    ceiling = min(30 * 2 ** max(attempts - 1, 0), 1800)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class TransientDeliveryError(Exception):
    """A delivery failed for a reason that may pass (network, server busy): retry later,
    after ``retry_after`` seconds when the failed attempts say."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def notification_dedupe_key(event: str, *, channel: str, recipient_id: int | None = None) -> str:
    """The one format of a dedupe key: ``<event>:<channel>`` for the message a merchant's
    members share (its in-app inbox), ``<event>:<channel>:<user id>`` for one person's.

    ``event`` names what happened, once, by its writer (``eligibility:<merchant>:<program>:<n>``,
    ``tier:<belt>:<year>:...``): the same event always yields the same keys, so writing it again
    adds nothing."""
    key = f"{event}:{channel}"
    return key if recipient_id is None else f"{key}:{recipient_id}"


@dataclass(frozen=True, slots=True)
class NotificationDraft:
    """A message before it is written. ``texts`` holds subject and body per language; without
    them the kind's registered renderer makes them from ``payload`` whenever it is shown."""

    dedupe_key: str
    kind: str
    texts: dict[str, dict[str, str]] | None = None
    merchant_id: int | None = None
    recipient_id: int | None = None
    channel: str = NotificationChannel.IN_APP
    payload: dict[str, Any] = field(default_factory=dict)
    webhook_endpoint_id: int | None = None


# Texts of a notification kind, rendered from its payload in the active language. Apps further up
# the stack register theirs (this app cannot import them). A row stores the English as its
# fallback (rendered when written); pages and e-mails render the reader's language.
Renderer = Callable[[dict[str, Any]], tuple[str, str]]
RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    RENDERERS[kind] = renderer


def notification_texts(notification: Notification, language: str | None = None) -> dict[str, str]:
    """Subject and body in ``language`` (default: the active one): the texts stored with the
    notification, else its kind's renderer, else the stored English subject and body."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    texts = notification.payload.get("texts") if isinstance(notification.payload, dict) else None
    if texts:
        chosen = texts.get(language) or texts.get(settings.LANGUAGE_CODE)
        if chosen:
            return chosen
    renderer = RENDERERS.get(notification.kind)
    if renderer is not None:
        with translation.override(language):
            subject, body = renderer(notification.payload)
        return {"subject": str(subject), "body": str(body)}
    return {"subject": notification.subject, "body": notification.body}


def bilingual(render: Callable[[], tuple[Any, Any]]) -> dict[str, dict[str, str]]:
    """Call ``render()`` (returning ``(subject, body)``) under each language."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            subject, body = render()
            texts[code] = {"subject": str(subject), "body": str(body)}
    return texts


def notifications_create(drafts: Sequence[NotificationDraft]) -> int:
    """Write the drafts in the current transaction; queue their delivery on commit.

    Guarantees: a draft whose dedupe key exists already is skipped (the same event never yields
    a second message); delivery is queued only if the transaction commits. Returns how many
    notifications the database holds for these keys (new or earlier)."""
    if not drafts:
        return 0
    Notification.objects.bulk_create(
        [_notification(draft) for draft in drafts], ignore_conflicts=True, batch_size=1000
    )
    keys = [draft.dedupe_key for draft in drafts]
    pending: list[tuple[int, str]] = list(
        Notification.objects.filter(
            dedupe_key__in=keys, status=NotificationStatus.PENDING
        ).values_list("id", "channel")
    )
    _queue_on_commit(pending)
    return len(pending)


# The columns a new notification is written with; the others start empty (NULL).
_INSERTED_FIELDS = (
    "recipient",
    "merchant",
    "channel",
    "kind",
    "subject",
    "body",
    "payload",
    "dedupe_key",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "webhook_endpoint",
    "delivery_id",
)
# Rows per INSERT: 14 parameters each stay far below SQLite's (32,766) and PostgreSQL's
# (65,535) limits on a statement's parameters.
BULK_INSERT_BATCH = 1000
# Rows per INSERT on PostgreSQL, where a batch is a few array parameters.
BULK_INSERT_BATCH_ARRAYS = 5000
# On PostgreSQL, the columns that differ from draft to draft, one array parameter each; a row's
# kind, subject, body and payload come from its batch's distinct contents (``EnglishTexts``).
_ROW_FIELDS = ("recipient", "merchant", "channel", "dedupe_key", "webhook_endpoint", "delivery_id")


def _new_row_defaults() -> dict[str, Any]:
    """The columns a draft does not set, as a new ``Notification`` has them."""
    blank = Notification()
    return {
        name: getattr(blank, _concrete_field(name).attname)
        for name in ("status", "attempts", "last_error")
    }


def _arrays_source(
    drafts: Sequence[NotificationDraft], *, created_at: datetime.datetime
) -> tuple[str, list]:
    """The ``SELECT`` of a PostgreSQL batch's rows, in ``_INSERTED_FIELDS``' order, and its
    parameters: per column that differs between drafts an array (``unnest``), and the batch's
    distinct contents once, as JSON, joined by their number. Each payload is sent and parsed
    once however many rows carry it (a recompute's gains of one program share one)."""
    contents = EnglishTexts()
    numbers = [contents.number(draft.kind, _payload(draft)) for draft in drafts]
    attributes = [_concrete_field(name).attname for name in _ROW_FIELDS if name != "delivery_id"]
    rows = [[getattr(draft, attribute) for draft in drafts] for attribute in attributes]
    rows.append([_delivery_id(draft) for draft in drafts])
    document = [
        {
            "n": number,
            "kind": kind,
            "subject": english["subject"][:200],
            "body": english["body"],
            "payload": payload,
        }
        for number, (kind, payload, english) in enumerate(contents.contents)
    ]
    quote = connection.ops.quote_name
    # Texts as text: a cast to varchar(n) would cut a value too long, which the insert refuses.
    arrays = ", ".join(
        [
            "%s::integer[]",
            *(
                "%s::text[]"
                if isinstance(_concrete_field(name), CharField)
                else f"%s::{_concrete_field(name).db_type(connection)}[]"
                for name in _ROW_FIELDS
            ),
        ]
    )
    names = ", ".join(quote(_concrete_field(name).column) for name in _ROW_FIELDS)
    defaults = _new_row_defaults()
    values = {
        **{name: f"r.{quote(_concrete_field(name).column)}" for name in _ROW_FIELDS},
        "kind": "c.kind",
        "subject": "c.subject",
        "body": "c.body",
        "payload": "c.payload",
        **dict.fromkeys(defaults, "%s"),
        "created_at": "%s",
    }
    contents_type = "n integer, kind text, subject text, body text, payload jsonb"
    source = (
        # Quoted names and placeholders only: every value is a parameter.
        f"SELECT {', '.join(values[name] for name in _INSERTED_FIELDS)} "  # noqa: S608
        f"FROM unnest({arrays}) AS r(n, {names}) "
        f"JOIN json_to_recordset(%s::json) AS c({contents_type}) ON c.n = r.n"
    )
    ordered_defaults = [
        defaults.get(name, created_at)
        for name in _INSERTED_FIELDS
        if name in defaults or name == "created_at"
    ]
    return source, [*ordered_defaults, numbers, *rows, json.dumps(document)]


def notifications_insert_bulk(drafts: Sequence[NotificationDraft]) -> list[int]:
    """Write many drafts (a recompute's, thousands at once) in the current transaction, a
    thousand rows a statement (``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING``),
    and queue the delivery of those written on commit. Returns their ids.

    Guarantees: the rows are exactly those :func:`notifications_create` writes for the same
    drafts (same columns, the English subject and body rendered from the payload, each distinct
    payload once); a draft whose dedupe key exists already, or repeats one before it, writes
    nothing; all or nothing. Unlike :func:`notifications_create` it answers only what it wrote,
    and re-queues nothing written before."""
    if not drafts:
        return []
    fields = [_concrete_field(name) for name in _INSERTED_FIELDS]
    quote = connection.ops.quote_name
    table = quote(Notification._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f"{quote('id')}, {quote(_concrete_field('channel').column)}"
    dedupe_column = quote(_concrete_field("dedupe_key").column)
    now = timezone.now()
    rendered = EnglishTexts()
    written: list[tuple[int, str]] = []
    # On PostgreSQL a batch is a few array parameters and its distinct contents
    # (``_arrays_source``): a handful of placeholders whatever the number of rows, instead of a
    # VALUES list the driver must scan and quote placeholder by placeholder.
    as_arrays = connection.vendor == "postgresql"
    batch_size = BULK_INSERT_BATCH_ARRAYS if as_arrays else BULK_INSERT_BATCH
    # A key repeated in the call: its first draft alone, whatever order the database reads
    # a statement's rows in.
    first: dict[str, NotificationDraft] = {}
    for draft in drafts:
        first.setdefault(draft.dedupe_key, draft)
    unique = list(first.values())
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(unique), batch_size):
            chunk = unique[start : start + batch_size]
            if as_arrays:
                source, params = _arrays_source(chunk, created_at=now)
            else:
                batch = [_notification(draft, rendered=rendered, created_at=now) for draft in chunk]
                source = "VALUES " + ", ".join([row_sql] * len(batch))
                params = [
                    field.get_db_prep_save(getattr(row, field.attname), connection)
                    for row in batch
                    for field in fields
                ]
            cursor.execute(
                # Quoted names and placeholders only: every value is a parameter.
                f"INSERT INTO {table} ({columns}) {source} "
                f"ON CONFLICT ({dedupe_column}) DO NOTHING RETURNING {returning}",
                params,
            )
            written += [(pk, channel) for pk, channel in cursor.fetchall()]
        _queue_on_commit(written)
    return [pk for pk, _channel in written]


def _concrete_field(name: str) -> Field:
    field = Notification._meta.get_field(name)
    assert isinstance(field, Field), name  # the columns of the table, not relations
    return field


class EnglishTexts:
    """The distinct contents (kind, payload, and the stored English subject and body rendered
    from them) of one batch's drafts, each rendered once and numbered in the order first seen:
    a recompute's gains of one program share theirs. A payload object many drafts share
    (``_notify_flips`` builds one per program for its gains) is found by identity, without
    serializing it again; the entry keeps the object, so its identity cannot pass to another."""

    def __init__(self) -> None:
        self.contents: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self._by_json: dict[tuple[str, str], int] = {}
        self._by_identity: dict[tuple[str, int], tuple[dict[str, Any], int]] = {}

    def number(self, kind: str, payload: dict[str, Any]) -> int:
        """The index in ``contents`` of this kind and payload."""
        shared = self._by_identity.get((kind, id(payload)))
        if shared is not None and shared[0] is payload:
            return shared[1]
        key = (kind, json.dumps(payload, sort_keys=True, default=str))
        number = self._by_json.get(key)
        if number is None:
            english = notification_texts(
                Notification(kind=kind, payload=payload), settings.LANGUAGE_CODE
            )
            number = self._by_json[key] = len(self.contents)
            self.contents.append((kind, payload, english))
        self._by_identity[(kind, id(payload))] = (payload, number)
        return number

    def of(self, kind: str, payload: dict[str, Any]) -> dict[str, str]:
        """The English subject and body of this kind and payload."""
        return self.contents[self.number(kind, payload)][2]


def _payload(draft: NotificationDraft) -> dict[str, Any]:
    """What a draft's row stores as its payload: its own, with its texts when it has them."""
    return {**draft.payload, "texts": draft.texts} if draft.texts else draft.payload


def _delivery_id(draft: NotificationDraft) -> uuid.UUID | None:
    """A webhook delivery's id, by which receivers deduplicate: one per delivery, the same on
    every attempt; none for the other channels."""
    return uuid.uuid4() if draft.channel == NotificationChannel.WEBHOOK else None


def _draft_values(
    draft: NotificationDraft,
    *,
    rendered: EnglishTexts | None = None,
    created_at: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The fields a draft sets on its row (their names are also the columns'). ``rendered`` (kept
    by the caller for one batch) renders each distinct kind and payload once."""
    payload = _payload(draft)
    # The stored subject and body are the English fallback; pages render the active language.
    english = (rendered or EnglishTexts()).of(draft.kind, payload)
    return {
        "recipient_id": draft.recipient_id,
        "merchant_id": draft.merchant_id,
        "channel": draft.channel,
        "kind": draft.kind,
        "subject": english["subject"][:200],
        "body": english["body"],
        "payload": payload,
        "dedupe_key": draft.dedupe_key,
        "webhook_endpoint_id": draft.webhook_endpoint_id,
        "delivery_id": _delivery_id(draft),
        **({} if created_at is None else {"created_at": created_at}),
    }


def _notification(
    draft: NotificationDraft,
    *,
    rendered: EnglishTexts | None = None,
    created_at: datetime.datetime | None = None,
) -> Notification:
    """The row a draft becomes (:func:`_draft_values`)."""
    return Notification(**_draft_values(draft, rendered=rendered, created_at=created_at))


def _queue_on_commit(rows: Sequence[tuple[int, str]]) -> None:
    """Queue the delivery of ``(id, channel)`` rows once the transaction commits."""
    webhooks = [pk for pk, channel in rows if channel == NotificationChannel.WEBHOOK]
    others = [pk for pk, channel in rows if channel != NotificationChannel.WEBHOOK]
    # Robust: the rows are committed, so a broker that is down (or restarting) only delays
    # them until the sweeper re-queues them; the request or task that wrote them goes on. For
    # webhooks also: a receiver's failure, raised by an eager task (the embedded default), must
    # not stop the delivery that fanned it out.
    if others:
        transaction.on_commit(lambda: notifications_queue(others), robust=True)
    if webhooks:
        transaction.on_commit(lambda: notifications_queue_each(webhooks), robust=True)


def _deliver_task() -> Any:
    # Imported here: merchants.tasks imports the services at its top (tasks call services), so
    # this module stays importable first.
    from ..tasks import notifications_deliver  # noqa: PLC0415

    return notifications_deliver


def notifications_queue(ids: list[int], batch: int = 500) -> None:
    for start in range(0, len(ids), batch):
        _deliver_task().delay(ids[start : start + batch])


def notifications_queue_each(ids: Sequence[int]) -> None:
    """One task per notification: for webhooks, where a receiver may take its whole timeout
    and each delivery retries on its own schedule."""
    for notification_id in ids:
        _deliver_task().delay([notification_id])


def notifications_queue_rows(rows: Sequence[tuple[int, str]]) -> None:
    """Queue ``(id, channel)`` rows: webhooks one task each, the others in batches."""
    notifications_queue_each([pk for pk, channel in rows if channel == NotificationChannel.WEBHOOK])
    notifications_queue([pk for pk, channel in rows if channel != NotificationChannel.WEBHOOK])


def merchant_audience(merchant_ids: Iterable[int], kind: str) -> dict[int, list[tuple[int, str]]]:
    """Per merchant, the (user id, e-mail) of portal users who want e-mail for ``kind``."""
    memberships = (
        # The ids as one array parameter: a recompute's chunk asks for thousands.
        MerchantMembership.objects.filter(AnyOf(F("merchant_id"), list(merchant_ids)))
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("merchant_id", "user_id", "user__email", "role")
    )
    opted_out = set(
        NotificationPreference.objects.filter(kind=kind, email_enabled=False).values_list(
            "user_id", flat=True
        )
    )
    audience: dict[int, list[tuple[int, str]]] = {}
    for merchant_id, user_id, email, _role in memberships:
        if user_id not in opted_out:
            audience.setdefault(merchant_id, []).append((user_id, email))
    return audience


def drafts_for_merchant(
    *,
    merchant_id: int,
    kind: str,
    key: str,
    texts: dict[str, dict[str, str]] | None = None,
    emails: Sequence[tuple[int, str]] = (),
    payload: dict[str, Any] | None = None,
) -> list[NotificationDraft]:
    """The in-app message every member sees, plus one e-mail per member who wants one."""
    payload = payload or {}
    drafts = [
        NotificationDraft(
            dedupe_key=notification_dedupe_key(key, channel=NotificationChannel.IN_APP),
            kind=kind,
            texts=texts,
            merchant_id=merchant_id,
            payload=payload,
        )
    ]
    drafts += [
        NotificationDraft(
            dedupe_key=notification_dedupe_key(
                key, channel=NotificationChannel.EMAIL, recipient_id=user_id
            ),
            kind=kind,
            texts=texts,
            merchant_id=merchant_id,
            recipient_id=user_id,
            channel=NotificationChannel.EMAIL,
            payload=payload,
        )
        for user_id, _email in emails
    ]
    return drafts


def user_contacts(user_ids: Iterable[int], kind: str) -> tuple[set[int], set[int]]:
    """Of ``user_ids``: those who opted out of e-mail for ``kind``, and the active ones with an
    e-mail address. Two queries, for any number of users."""
    user_ids = sorted(set(user_ids))
    opted_out = set(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, kind=kind, email_enabled=False
        ).values_list("user_id", flat=True)
    )
    with_email = set(
        get_user_model()
        .objects.filter(id__in=user_ids, is_active=True)
        .exclude(email="")
        .values_list("id", flat=True)
    )
    return opted_out, with_email


def drafts_for_users(
    *,
    user_ids: Iterable[int],
    kind: str,
    key: str,
    texts: dict[str, dict[str, str]] | None,
    payload: dict[str, Any] | None = None,
    contacts: tuple[set[int], set[int]] | None = None,
) -> list[NotificationDraft]:
    """An in-app message to each user, plus an e-mail to those who want one. Without ``texts``
    the kind's renderer makes them from the payload. ``contacts`` (``user_contacts``) spares
    its two queries to a caller writing many messages to the same people."""
    user_ids = sorted(set(user_ids))
    opted_out, with_email = contacts if contacts is not None else user_contacts(user_ids, kind)
    drafts = []
    for user_id in user_ids:
        drafts.append(
            NotificationDraft(
                dedupe_key=notification_dedupe_key(
                    key, channel=NotificationChannel.IN_APP, recipient_id=user_id
                ),
                kind=kind,
                texts=texts,
                recipient_id=user_id,
                payload=payload or {},
            )
        )
        if user_id in with_email and user_id not in opted_out:
            drafts.append(
                NotificationDraft(
                    dedupe_key=notification_dedupe_key(
                        key, channel=NotificationChannel.EMAIL, recipient_id=user_id
                    ),
                    kind=kind,
                    texts=texts,
                    recipient_id=user_id,
                    channel=NotificationChannel.EMAIL,
                    payload=payload or {},
                )
            )
    return drafts


# Delivery ----------------------------------------------------------------------------------------
def _claim(notification_ids: Sequence[int], now: datetime.datetime) -> list[Notification]:
    """Take the pending, unclaimed (or abandoned) ones; another worker gets none of them."""
    claimable = Q(status=NotificationStatus.PENDING) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_timeout())
    )
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(claimable, id__in=list(notification_ids))
            .values_list("id", flat=True)
        )
        if not ids:
            return []
        Notification.objects.filter(claimable, id__in=ids).update(claimed_at=now)
    return list(
        Notification.objects.filter(id__in=ids, claimed_at=now).select_related(
            "recipient", "webhook_endpoint"
        )
    )


def _send_email(notification: Notification) -> None:
    recipient = notification.recipient
    if recipient is None or not recipient.email:
        raise ValueError("an e-mail notification needs a recipient with an address")
    # Both languages in one message: merchants and staff read either.
    texts = [notification_texts(notification, code) for code, _name in settings.LANGUAGES]
    subject = " / ".join(dict.fromkeys(t["subject"] for t in texts))
    bodies = "\n\n".join(dict.fromkeys(t["body"] for t in texts if t["body"]))
    try:
        send_mail(
            subject=subject[:250],
            message=bodies,
            from_email=None,
            recipient_list=[recipient.email],
        )
    except (ConnectionError, TimeoutError, OSError) as error:
        # smtplib errors for a dropped connection or a busy server are OSError subclasses or
        # SMTPServerDisconnected (an OSError); anything else (bad address) is not transient.
        raise TransientDeliveryError(str(error)) from error


def _finish(
    notification: Notification,
    claimed_at: datetime.datetime,
    *,
    outcome: str,
    error: str = "",
    fields: dict[str, Any] | None = None,
) -> tuple[str | None, float | None]:
    """Record one attempt of a claimed notification: ``outcome`` is ``delivered``, ``transient``
    or ``failed``. Answers the status it was left in (None when the claim was lost meanwhile)
    and, for a failure that will be retried, after how many seconds."""
    attempts = notification.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claimed_at": None, **(fields or {})}
    retry_after = None
    if outcome == "delivered":
        values.update(
            status=NotificationStatus.DELIVERED,
            delivered_at=timezone.now(),
            last_error="",
            next_attempt_at=None,
        )
    elif outcome == "transient" and attempts < MAX_ATTEMPTS:
        retry_after = retry_delay(attempts)
        values.update(
            status=NotificationStatus.PENDING,
            last_error=error[:2000],
            next_attempt_at=timezone.now() + datetime.timedelta(seconds=retry_after),
        )
    else:
        values.update(status=NotificationStatus.FAILED, last_error=error[:2000])
    updated = Notification.objects.filter(id=notification.id, claimed_at=claimed_at).update(
        **values
    )
    return (values["status"] if updated else None), retry_after


def _deliver_in_app(claimed: Sequence[Notification], now: datetime.datetime) -> int:
    """Mark the in-app ones delivered (the inbox shows them) and, in the same transaction, fan
    the merchants' ones out to the webhook endpoints that want them."""
    # Imported here: merchants.webhooks imports this module (drafts, the outbox) at its top.
    from ..webhooks import webhook_fan_out  # noqa: PLC0415 (a real cycle, see above)

    with transaction.atomic():
        delivered = Notification.objects.filter(
            id__in=[n.id for n in claimed], claimed_at=now
        ).update(
            status=NotificationStatus.DELIVERED,
            delivered_at=now,
            attempts=1,
            claimed_at=None,
        )
        webhook_fan_out(
            notifications=[n for n in claimed if n.merchant_id and n.recipient_id is None]
        )
    return delivered


# Deliveries by channel and outcome ("delivered", "failed" for good, "retry" later), for
# Prometheus (core.metrics, /metrics/): a webhook or mail server failing shows as a rising rate.
DELIVERIES_METRIC = "belt_ops_notification_deliveries"


def notifications_deliver(*, notification_ids: Sequence[int]) -> dict[str, int]:
    """Deliver what is still pending among these ids. Safe to call twice: a delivered or
    claimed notification is skipped, so nothing is sent twice.

    Raises TransientDeliveryError (after recording it) when at least one e-mail or webhook could
    not be sent for a reason that may pass, so the task retries the remaining ones with
    backoff."""
    # Imported here: merchants.webhooks imports this module (drafts, the outbox) at its top.
    from ..webhooks import webhook_attempt_record, webhook_send  # noqa: PLC0415 (a cycle)

    now = timezone.now()
    claimed = _claim(notification_ids, now)
    delivered = failed = 0
    transient: list[str] = []
    retry_after: list[float] = []
    in_app = [n for n in claimed if n.channel == NotificationChannel.IN_APP]
    if in_app:
        delivered += _deliver_in_app(in_app, now)
        metrics.count(
            DELIVERIES_METRIC,
            {"channel": NotificationChannel.IN_APP, "outcome": "delivered"},
            delivered,
        )
    for notification in claimed:
        if notification.channel == NotificationChannel.IN_APP:
            continue
        if notification.channel == NotificationChannel.WEBHOOK:
            attempt = webhook_send(notification=notification)
            with transaction.atomic():
                status, delay = _finish(
                    notification,
                    now,
                    outcome=attempt.outcome,
                    error=attempt.error,
                    fields={
                        "response_code": attempt.response_code,
                        "latency_ms": attempt.latency_ms,
                    },
                )
                webhook_attempt_record(notification=notification, attempt=attempt, status=status)
            if attempt.outcome == "transient":
                transient.append(attempt.error)
        else:
            try:
                if notification.channel == NotificationChannel.EMAIL:
                    _send_email(notification)
                else:
                    raise ValueError(f"no delivery for channel {notification.channel}")
            except TransientDeliveryError as error:
                transient.append(str(error))
                status, delay = _finish(notification, now, outcome="transient", error=str(error))
            except Exception as error:  # a permanent failure: record it, never retry
                logger.warning("notification %s failed permanently: %s", notification.id, error)
                status, delay = _finish(notification, now, outcome="failed", error=str(error))
            else:
                status, delay = _finish(notification, now, outcome="delivered")
        if status == NotificationStatus.DELIVERED:
            delivered += 1
        elif status == NotificationStatus.FAILED:
            failed += 1
        outcome = (
            status
            if status in (NotificationStatus.DELIVERED, NotificationStatus.FAILED)
            else "retry"
        )
        metrics.count(DELIVERIES_METRIC, {"channel": notification.channel, "outcome": outcome})
        if delay is not None:
            retry_after.append(delay)
    if retry_after:  # some failed for a reason that may pass and have attempts left
        raise TransientDeliveryError(
            "; ".join(transient[:3]), retry_after=min(retry_after) if retry_after else None
        )
    return {"delivered": delivered, "failed": failed}


def notifications_stale_ids(
    *, now: datetime.datetime | None = None, limit: int = 5000
) -> list[int]:
    """Pending notifications that should have gone out by now: their task was lost or failed."""
    return [
        notification_id for notification_id, _channel in notifications_stale(now=now, limit=limit)
    ]


def notifications_stale(
    *, now: datetime.datetime | None = None, limit: int = 5000
) -> list[tuple[int, str]]:
    """``(id, channel)`` of the pending notifications that should have gone out by now."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, created_at__lt=now - sweep_after()
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_timeout()))
        # A failure that may pass waits out its backoff: the task's retry is due then.
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("id", "channel")[:limit]
    )


def notifications_retry(*, notification_ids: Sequence[int]) -> int:
    """Give notifications that failed for good a new set of attempts, queued on commit (the
    operators' retry). Only failed ones change: a delivered or pending one is left alone, so a
    retry pressed twice sends nothing twice. Returns how many were retried."""
    ids = list(notification_ids)[:1000]
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update()
            .filter(id__in=ids, status=NotificationStatus.FAILED)
            .values_list("id", "channel")
        )
        Notification.objects.filter(id__in=[pk for pk, _channel in rows]).update(
            status=NotificationStatus.PENDING,
            attempts=0,
            claimed_at=None,
            next_attempt_at=None,
        )
        _queue_on_commit(rows)
    return len(rows)


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )


def notifications_mark_all_read(*, notifications: QuerySet[Notification]) -> int:
    """Mark every unread one of ``notifications`` (a queryset) read, in one statement."""
    return notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
