"""The base of every test world: a merchant of a belt that one operation center serves.

Scope is decided by that chain (a center's staff see the merchants of the belts it serves, a
merchant's members see their merchant), so the worlds of the enrollment, scope-matrix and
console-scoping tests all start here and add the rows and people their tests need."""

from dataclasses import dataclass
from typing import Any

from belts.models import IndustrialBelt, OperationCenter
from merchants.models import Merchant
from tests.belts.factories import IndustrialBeltFactory, OperationCenterFactory
from tests.merchants.factories import MerchantFactory


@dataclass
class Served:
    belt: IndustrialBelt
    center: OperationCenter
    merchant: Merchant


def served_merchant(**merchant: Any) -> Served:
    """A new belt, a center serving it, and a merchant of that belt (``merchant``: the
    merchant factory's fields)."""
    belt = IndustrialBeltFactory()
    center = OperationCenterFactory(belts=[belt])
    return Served(belt=belt, center=center, merchant=MerchantFactory(belt=belt, **merchant))
