"""API keys of service providers: a carrier or an installer records the hand-overs of the legs
it runs through a key bound to it, the third kind of key owner next to merchants and centers.

The key is a ``merchants.ApiKey`` with neither merchant nor center; its user (no password, not
staff) holds exactly one membership, a ``ProviderMembership``, so ``logistics.scoping`` gives it
the shipments its provider carries a leg of and nothing else, on every surface."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from belts.scoping import Viewer
from merchants.api_keys import api_key_issue, api_key_revoke
from merchants.models import ApiKey

from ..exceptions import LogisticsError, LogisticsForbidden
from ..models import ProviderMembership, ServiceProvider

# Keys one provider may hold at once (revoked ones not counted), as for merchants and centers.
MAX_ACTIVE_KEYS = 50


def provider_of_key(api_key: ApiKey) -> ServiceProvider | None:
    """The provider ``api_key`` acts for, or None for a merchant's or a center's key."""
    membership = (
        ProviderMembership.objects.select_related("provider")
        .filter(user_id=api_key.user_id)
        .first()
    )
    return membership.provider if membership is not None else None


@transaction.atomic
def provider_api_key_create(
    *,
    actor: Viewer | None,
    provider: ServiceProvider,
    name: str,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key acting for ``provider``; the key in clear, returned once.

    Guarantees: only a superuser (``actor=None``: the command line, an operator of the
    installation) creates one; the provider is active; at most ``MAX_ACTIVE_KEYS`` active keys
    per provider; the key's user has no password, is not staff and holds exactly one
    membership, of ``provider``. All or nothing."""
    if actor is not None and not (actor.is_authenticated and actor.is_superuser):
        raise LogisticsForbidden(_("Only a superuser creates keys for a provider."))
    if not provider.is_active:
        raise LogisticsError(
            _("The provider is not active."), field="provider", code="provider_inactive"
        )
    active = ApiKey.objects.filter(
        revoked=False, user__provider_membership__provider=provider
    ).count()
    if active >= MAX_ACTIVE_KEYS:
        raise LogisticsError(
            _("At most %(count)d keys may be active at once: revoke one first.")
            % {"count": MAX_ACTIVE_KEYS},
            code="too_many_keys",
        )
    api_key, raw_key = api_key_issue(actor=actor, name=name, expires_at=expires_at, is_staff=False)
    ProviderMembership.objects.create(provider=provider, user=api_key.user)
    return api_key, raw_key


def provider_api_key_revoke(*, api_key: ApiKey, actor: Viewer | None) -> ApiKey:
    """Revoke a provider's key for good (``merchants.api_keys.api_key_revoke``: it
    authenticates nothing from now on and its user is deactivated); a superuser's step, or the
    command line's (``actor=None``). Revoking twice changes nothing."""
    if provider_of_key(api_key) is None:
        raise LogisticsError(_("This is not a provider's key."), code="not_a_provider_key")
    return api_key_revoke(api_key=api_key, actor=actor)
