"""The chain of custody: each hand-over closes one leg and opens the next.

Hand-over ``k`` of a shipment of ``n`` legs: 0 is the pickup from the merchant (it starts leg
1), ``k`` closes leg ``k`` and starts leg ``k + 1``, ``n`` gives the goods to the buyer. They are
recorded in order (a leg cannot start before the previous one's hand-over), at times that never
go back, each with a grade, photos and a note. Recording or correcting one attributes the
shipment's incidents again."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Sequence
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from belts.scoping import Viewer

from ..choices import BreachKind, Condition, LegKind, ShipmentStatus
from ..exceptions import LogisticsError, LogisticsForbidden, PhotoError
from ..models import ConditionCheck, ConditionCheckPhoto, Leg, Shipment
from ..photos import CleanPhoto, max_count, photos_clean
from ..scoping import acting_user, may_record_handover
from .incidents import incidents_reattribute
from .sla import sla_breach_record

MAX_NOTE = 2000
# A device's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=5)

Upload = tuple[IO[bytes], str]  # a file and the name it was uploaded under


def _legs(shipment: Shipment) -> list[Leg]:
    return list(shipment.legs.select_related("provider").order_by("sequence"))


def _check_condition(condition: str) -> None:
    if condition not in Condition.values:
        raise LogisticsError(
            _("Choose a condition: %(choices)s.") % {"choices": ", ".join(Condition.values)},
            field="condition",
            code="invalid_choice",
        )


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE or "\x00" in note:
        raise LogisticsError(
            _("A note has at most %(count)d characters.") % {"count": MAX_NOTE}, field="note"
        )
    return note


def _check_time(
    checked_at: datetime.datetime,
    *,
    before: ConditionCheck | None,
    after: ConditionCheck | None,
    now: datetime.datetime,
) -> None:
    if timezone.is_naive(checked_at):
        raise LogisticsError(_("Give the time with its time zone."), field="checked_at")
    if checked_at > now + CLOCK_SKEW:
        raise LogisticsError(_("A hand-over cannot be recorded in the future."), field="checked_at")
    if before is not None and checked_at < before.checked_at:
        raise LogisticsError(
            _("A hand-over cannot be earlier than the one before it (%(time)s).")
            % {"time": timezone.localtime(before.checked_at).strftime("%Y-%m-%d %H:%M")},
            field="checked_at",
            code="time_goes_back",
        )
    if after is not None and checked_at > after.checked_at:
        raise LogisticsError(
            _("A hand-over cannot be later than the one after it (%(time)s).")
            % {"time": timezone.localtime(after.checked_at).strftime("%Y-%m-%d %H:%M")},
            field="checked_at",
            code="time_goes_back",
        )


def _store_photos(check: ConditionCheck, photos: Sequence[CleanPhoto]) -> list[str]:
    """Store the cleaned photos and their rows; the names stored. On any failure, delete what
    was stored and raise (the transaction then drops the rows)."""
    stored: list[str] = []
    try:
        for photo in photos:
            day = timezone.now()
            name = (
                f"condition-checks/{day:%Y/%m}/{check.shipment_id}-{check.index}-"
                f"{get_random_string(12).lower()}.{photo.extension}"
            )
            name = default_storage.save(name, ContentFile(photo.content))
            stored.append(name)
            ConditionCheckPhoto.objects.create(
                check_record=check,
                image=name,
                content_type=photo.content_type,
                width=photo.width,
                height=photo.height,
                size=photo.size,
            )
    except Exception:
        _delete(stored)
        raise
    return stored


def _delete(names: Sequence[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def _sync_legs(shipment: Shipment, check: ConditionCheck, now: datetime.datetime) -> None:
    """The giver completes and the receiver starts at the hand-over's time; a giver completed
    late is a breach; the shipment's status follows the chain."""
    if check.giver is not None:
        giver = check.giver
        giver.completed_at = check.checked_at
        if giver.started_at is None or giver.started_at > giver.completed_at:
            giver.started_at = giver.completed_at
        giver.save(update_fields=["started_at", "completed_at"])
        if giver.completed_at > giver.sla_due_at:
            sla_breach_record(leg=giver, kind=BreachKind.COMPLETED_LATE, now=now)
    if check.receiver is not None:
        receiver = check.receiver
        receiver.started_at = check.checked_at
        if receiver.completed_at is not None and receiver.completed_at < receiver.started_at:
            receiver.completed_at = receiver.started_at
        receiver.save(update_fields=["started_at", "completed_at"])
    status = shipment.status
    if check.receiver is not None and status == ShipmentStatus.CREATED:
        status = ShipmentStatus.IN_TRANSIT
    if check.giver is not None:
        if check.giver.kind == LegKind.INSTALLATION:
            status = ShipmentStatus.INSTALLED
        elif check.giver.kind == LegKind.LAST_MILE or check.receiver is None:
            status = ShipmentStatus.DELIVERED
    if status != shipment.status and shipment.status not in (
        ShipmentStatus.CLOSED,
        ShipmentStatus.CANCELLED,
    ):
        shipment.status = status
        shipment.save(update_fields=["status"])


def _follow(
    shipment: Shipment, check: ConditionCheck, stored: list[str], now: datetime.datetime
) -> None:
    """What follows a hand-over; files are not part of the transaction, so if this fails the
    photos just stored are deleted before the transaction rolls back."""
    try:
        _sync_legs(shipment, check, now)
        incidents_reattribute(shipment=shipment, now=now)
    except Exception:
        _delete(stored)
        raise


def _uploads_cleaned(photos: Sequence[Upload]) -> list[CleanPhoto]:
    return photos_clean(list(photos)) if photos else []


@transaction.atomic
def handover_record(
    *,
    actor: Viewer,
    shipment: Shipment,
    index: int,
    condition: str,
    checked_at: datetime.datetime | None = None,
    note: str = "",
    photos: Sequence[Upload] = (),
) -> ConditionCheck:
    """Record hand-over ``index`` of ``shipment``: the grade, the note, the photos.

    Guarantees: hand-overs in order (the previous one recorded) and once each (a correction
    goes through ``handover_correct``); times never go back; only staff serving the merchant,
    the provider giving or receiving the goods, or the merchant at the pickup record it; every
    photo is an image checked by content, stored without metadata, and one bad photo refuses
    the whole hand-over (nothing saved, no file left). The legs' times, the shipment's status,
    SLA breaches and the incidents' attribution follow, in the same transaction."""
    shipment = Shipment.objects.select_for_update().select_related("merchant").get(pk=shipment.pk)
    legs = _legs(shipment)
    if not isinstance(index, int) or index < 0 or index > len(legs):
        raise LogisticsError(
            _("This shipment has hand-overs 0 to %(last)d.") % {"last": len(legs)},
            field="index",
            code="invalid_handover",
        )
    giver = legs[index - 1] if index >= 1 else None
    receiver = legs[index] if index < len(legs) else None
    if not may_record_handover(actor, shipment, giver, receiver):
        raise LogisticsForbidden(_("You may not record this hand-over."))
    _check_condition(condition)
    note = _check_note(note)
    now = timezone.now()
    checked_at = checked_at or now
    existing = {c.index: c for c in ConditionCheck.objects.filter(shipment=shipment)}
    if index in existing:
        raise LogisticsError(
            _("This hand-over is already recorded: correct it instead."),
            field="index",
            code="already_recorded",
        )
    if index >= 1 and index - 1 not in existing:
        raise LogisticsError(
            _("Record hand-over %(previous)d first: leg %(leg)d has not started.")
            % {"previous": index - 1, "leg": index},
            field="index",
            code="previous_missing",
        )
    _check_time(checked_at, before=existing.get(index - 1), after=None, now=now)
    cleaned = _uploads_cleaned(photos)  # every photo checked before anything is written
    check = ConditionCheck.objects.create(
        shipment=shipment,
        index=index,
        giver=giver,
        receiver=receiver,
        condition=condition,
        note=note,
        checked_by=acting_user(actor),
        checked_at=checked_at,
    )
    _follow(shipment, check, _store_photos(check, cleaned), now)
    return check


@transaction.atomic
def handover_correct(
    *,
    actor: Viewer,
    check: ConditionCheck,
    condition: str | None = None,
    note: str | None = None,
    checked_at: datetime.datetime | None = None,
    photos: Sequence[Upload] = (),
) -> ConditionCheck:
    """Correct a recorded hand-over: only what is given changes (photos are added). The same
    people who may record it may correct it; the incidents are attributed again."""
    shipment = (
        Shipment.objects.select_for_update().select_related("merchant").get(pk=check.shipment_id)
    )
    check = ConditionCheck.objects.select_related("giver", "receiver").get(pk=check.pk)
    if not may_record_handover(actor, shipment, check.giver, check.receiver):
        raise LogisticsForbidden(_("You may not correct this hand-over."))
    now = timezone.now()
    if condition is not None:
        _check_condition(condition)
        check.condition = condition
    if note is not None:
        check.note = _check_note(note)
    if checked_at is not None:
        neighbours = {
            c.index: c
            for c in ConditionCheck.objects.filter(
                shipment=shipment, index__in=[check.index - 1, check.index + 1]
            )
        }
        _check_time(
            checked_at,
            before=neighbours.get(check.index - 1),
            after=neighbours.get(check.index + 1),
            now=now,
        )
        check.checked_at = checked_at
    if photos and check.photos.count() + len(photos) > max_count():
        raise PhotoError(
            _("At most %(count)d photos per hand-over.") % {"count": max_count()},
            code="too_many_photos",
        )
    cleaned = _uploads_cleaned(photos)
    check.corrections += 1
    check.save()
    _follow(shipment, check, _store_photos(check, cleaned), now)
    return check
