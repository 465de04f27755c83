"""What a reader may see of one belt's page: decided here once, for the console, the portal and
the API (``config.atlas.figures`` draws the page from it).

- ``FULL``: a superuser, or the staff of an operation center serving the belt. Everything,
  the source factories by name.
- ``MEMBER``: a portal user who is a member of a merchant of the belt. The belt's counts
  (merchants by type and stage, programs, deliveries) and the factories' map with their own
  factory named and the peers unnamed.
- ``PUBLIC``: any other signed-in reader. The belt's reference figures only (its years, tier,
  tier history and centers), which the atlas and the API show every signed-in reader anyway.

A user may be both staff and a member: the wider access wins.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from belts.scoping import Viewer, belt_ids_served_by
from merchants.models import MerchantMembership


class BeltAccess(enum.StrEnum):
    FULL = "full"
    MEMBER = "member"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class BeltGrant:
    """The reader's access to one belt, and which of the belt's merchants are the reader's own
    (for ``MEMBER``: their factory is named on the map)."""

    access: BeltAccess
    own_merchant_ids: frozenset[int] = frozenset()

    @property
    def sees_merchant_figures(self) -> bool:
        return self.access in (BeltAccess.FULL, BeltAccess.MEMBER)


def belt_grant(user: Viewer, belt_id: int) -> BeltGrant:
    """The reader's access to the belt: no query for a superuser, one for staff of a center
    serving it (kept for the request), two for anyone else."""
    if not user.is_authenticated:
        return BeltGrant(BeltAccess.PUBLIC)
    served = belt_ids_served_by(user)
    if served is None or belt_id in served:
        return BeltGrant(BeltAccess.FULL)
    own = frozenset(
        MerchantMembership.objects.filter(user_id=user.pk, merchant__belt_id=belt_id).values_list(
            "merchant_id", flat=True
        )
    )
    if own:
        return BeltGrant(BeltAccess.MEMBER, own)
    return BeltGrant(BeltAccess.PUBLIC)


def belt_access(user: Viewer, belt_id: int) -> BeltAccess:
    return belt_grant(user, belt_id).access
