"""API keys for integrations: who may hold one, create it and revoke it.

A key acts through a user of its own that holds exactly one role: operator of its merchant, or
reviewer of its operation center. Every scope and every guard of the project reads memberships,
so a key sees and does what a person with that role does, nothing more, on every surface.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from belts.choices import CenterRole
from belts.models import OperationCenter, OperationCenterMembership
from belts.scoping import center_id_subquery, served_belt_id_subquery

from .choices import MembershipRole
from .exceptions import ApiKeyError, ApiKeyForbidden
from .models import ApiKey, Merchant, MerchantMembership

NAME_MAX_LENGTH = 50
# Keys live at most this long; a key without an expiry is allowed (revocation ends it).
MAX_LIFETIME = datetime.timedelta(days=3 * 366)
# A key's last use is written at most this often: a busy integration must not write per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
# Keys one merchant or center may hold at once (revoked ones not counted).
MAX_ACTIVE_KEYS = 50


def _manages_merchant(user, merchant: Merchant) -> bool:
    """The merchant's owner, a manager of a center serving its belt, or a superuser."""
    if user.is_superuser:
        return True
    if MerchantMembership.objects.filter(
        user_id=user.pk, merchant_id=merchant.pk, role=MembershipRole.OWNER
    ).exists():
        return True
    return OperationCenterMembership.objects.filter(
        user_id=user.pk, role=CenterRole.MANAGER, center__belts=merchant.belt_id
    ).exists()


def _manages_center(user, center: OperationCenter) -> bool:
    """A manager of the center, or a superuser."""
    if user.is_superuser:
        return True
    return OperationCenterMembership.objects.filter(
        user_id=user.pk, center_id=center.pk, role=CenterRole.MANAGER
    ).exists()


def api_key_may_manage(*, user, api_key: ApiKey) -> bool:
    """Whether ``user`` may revoke ``api_key`` (the same people who may create it)."""
    if not user.is_authenticated:
        return False
    if api_key.merchant_id is not None:
        return _manages_merchant(user, api_key.merchant)
    if api_key.center_id is not None:
        return _manages_center(user, api_key.center)
    return user.is_superuser  # a provider's key: made by a superuser, revoked by one


def api_key_list(*, user) -> QuerySet[ApiKey]:
    """The keys ``user`` may see: superusers all; staff those of their centers and of the
    merchants of the belts their centers serve; a merchant's owner that merchant's keys. Newest
    first, with owner and author loaded."""
    queryset = ApiKey.objects.select_related("merchant", "center", "created_by").order_by(
        "-created", "prefix"
    )
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    owned = MerchantMembership.objects.filter(user_id=user.pk, role=MembershipRole.OWNER).values(
        "merchant_id"
    )
    return queryset.filter(
        Q(merchant_id__in=owned)
        | Q(merchant__belt_id__in=served_belt_id_subquery(user))
        | Q(center_id__in=center_id_subquery(user))
    )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ApiKeyError(_("Give the key a name."), field="name")
    if len(name) > NAME_MAX_LENGTH or "\x00" in name:
        raise ApiKeyError(
            _("A key's name has at most %(count)d characters.") % {"count": NAME_MAX_LENGTH},
            field="name",
        )
    return name


def _clean_expiry(
    expires_at: datetime.datetime | None, now: datetime.datetime
) -> datetime.datetime | None:
    if expires_at is None:
        return None
    if expires_at <= now:
        raise ApiKeyError(_("The expiry must be in the future."), field="expires_at")
    if expires_at > now + MAX_LIFETIME:
        raise ApiKeyError(_("A key expires within three years at most."), field="expires_at")
    return expires_at


def api_key_check(
    *,
    actor,
    name: str,
    merchant: Merchant | None = None,
    center: OperationCenter | None = None,
    expires_at: datetime.datetime | None = None,
) -> tuple[str, datetime.datetime | None]:
    """Raise ApiKeyError unless ``actor`` may create such a key; the cleaned name and expiry.
    ``actor=None`` is the command line (an operator of the installation)."""
    if (merchant is None) == (center is None):
        raise ApiKeyError(_("A key belongs to one merchant or one operation center."))
    if actor is not None:
        allowed = (
            _manages_merchant(actor, merchant)
            if merchant is not None
            else _manages_center(actor, center)
        )
        if not allowed:
            raise ApiKeyForbidden(_("You may not create keys for this owner."))
    name = _clean_name(name)
    expires_at = _clean_expiry(expires_at, timezone.now())
    owner_filter = {"merchant": merchant} if merchant is not None else {"center": center}
    if ApiKey.objects.filter(revoked=False, **owner_filter).count() >= MAX_ACTIVE_KEYS:
        raise ApiKeyError(
            _("At most %(count)d keys may be active at once: revoke one first.")
            % {"count": MAX_ACTIVE_KEYS},
            code="too_many_keys",
        )
    return name, expires_at


@transaction.atomic
def api_key_create(
    *,
    actor,
    name: str,
    merchant: Merchant | None = None,
    center: OperationCenter | None = None,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for ``merchant`` (acting as its operator) or ``center`` (as its reviewer).

    Guarantees: exactly one owner; only the merchant's owner, a manager of a center serving its
    belt, or a superuser creates a merchant's key, only a center's manager or a superuser a
    center's (``api_key_check``); the key is returned once, in clear, and stored hashed; the
    key's user has no password and exactly one membership. All or nothing."""
    name, expires_at = api_key_check(
        actor=actor, name=name, merchant=merchant, center=center, expires_at=expires_at
    )
    api_key, raw_key = api_key_issue(
        actor=actor,
        name=name,
        expires_at=expires_at,
        merchant=merchant,
        center=center,
        # A center's key acts as its reviewer, who is staff; a merchant's key is a portal user.
        is_staff=center is not None,
    )
    user = api_key.user
    if merchant is not None:
        MerchantMembership.objects.create(
            merchant=merchant, user=user, role=MembershipRole.OPERATOR
        )
    else:
        OperationCenterMembership.objects.create(center=center, user=user, role=CenterRole.REVIEWER)
    return api_key, raw_key


def api_key_issue(
    *,
    actor,
    name: str,
    expires_at: datetime.datetime | None,
    merchant: Merchant | None = None,
    center: OperationCenter | None = None,
    is_staff: bool = False,
) -> tuple[ApiKey, str]:
    """The key row and its own user (no password, no membership yet), for a caller that has
    checked who may create it and adds the key's one membership in the same transaction:
    ``api_key_create`` for merchants and centers, ``logistics`` for providers (whose membership
    this app does not know). ``name`` and ``expires_at`` are cleaned again here."""
    name = _clean_name(name)
    expires_at = _clean_expiry(expires_at, timezone.now())
    api_key = ApiKey(
        name=name, expiry_date=expires_at, created_by=actor, merchant=merchant, center=center
    )
    raw_key = ApiKey.objects.assign_key(api_key)
    user = get_user_model()(
        username=f"api-key-{api_key.prefix}",
        first_name=_("API key")[:150],
        last_name=name[:150],
        is_staff=is_staff,
        is_active=True,
    )
    user.set_unusable_password()
    user.save()
    api_key.user = user
    api_key.save()
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor) -> ApiKey:
    """Revoke the key for good: it authenticates nothing from now on, and its user is
    deactivated. Revoking a revoked key changes nothing. ``actor=None`` is the command line."""
    if actor is not None and not api_key_may_manage(user=actor, api_key=api_key):
        raise ApiKeyForbidden(_("You may not revoke this key."))
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if not locked.revoked:
        locked.revoked = True
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked", "revoked_at"])
        get_user_model().objects.filter(pk=locked.user_id).update(is_active=False)
    return locked


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key ``raw_key`` is, with its user loaded; None for an unknown, malformed,
    revoked or expired key, or one whose user was deactivated. Records the last use, at most
    once a minute. One query, two when the last use is recorded."""
    if not raw_key or len(raw_key) > 200 or "." not in raw_key:
        return None
    prefix = raw_key.partition(".")[0]
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked=False).first()
    if api_key is None or not api_key.is_valid(raw_key) or api_key.has_expired:
        return None
    if not api_key.user.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
