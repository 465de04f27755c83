"""A delivery chain to test against: a merchant of a belt one center serves, its owner, the
center's reviewer, a shipment of four legs (pickup, line haul, last mile, installation) by three
providers, each provider with a user of its own (as its API key's user), and photos to upload."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.utils import timezone
from PIL import Image

from logistics.choices import LegKind, ProviderKind
from logistics.models import ServiceProvider, Shipment
from logistics.services.shipments import LegSpec, shipment_create
from tests.belts.factories import CityFactory, OperationCenterMembershipFactory, UserFactory
from tests.logistics.factories import ProviderMembershipFactory, ServiceProviderFactory
from tests.merchants.factories import MerchantMembershipFactory
from tests.utils.world import Served, served_merchant

KINDS = (LegKind.PICKUP, LegKind.LINE_HAUL, LegKind.LAST_MILE, LegKind.INSTALLATION)


@dataclass
class Chain:
    served: Served
    owner: AbstractUser
    reviewer: AbstractUser
    providers: list[ServiceProvider]
    provider_users: dict[int, AbstractUser]
    shipment: Shipment
    start: datetime.datetime
    extra: dict = field(default_factory=dict)

    def user_of(self, sequence: int) -> AbstractUser:
        """The user of the provider running leg ``sequence`` (1-based)."""
        leg = self.shipment.legs.get(sequence=sequence)
        return self.provider_users[leg.provider_id]


def new_shipment(chain: Chain, *, order: str, providers=None, hours=(24, 72, 96, 120)) -> Shipment:
    providers = providers or [
        chain.providers[0],
        chain.providers[1],
        chain.providers[1],
        chain.providers[2],
    ]
    return shipment_create(
        actor=chain.owner,
        merchant=chain.served.merchant,
        order_reference=order,
        item_description="Solid wood bathroom cabinet",
        declared_value=Decimal("3200.00"),
        destination_city=CityFactory(),
        promised_delivery_on=(chain.start + datetime.timedelta(days=4)).date(),
        promised_installation_on=(chain.start + datetime.timedelta(days=5)).date(),
        legs=[
            LegSpec(
                kind=kind, provider=provider, sla_due_at=chain.start + datetime.timedelta(hours=h)
            )
            for kind, provider, h in zip(KINDS, providers, hours, strict=True)
        ],
    )


def chain_world(*, start: datetime.datetime | None = None) -> Chain:
    served = served_merchant()
    owner = MerchantMembershipFactory(merchant=served.merchant).user
    reviewer = OperationCenterMembershipFactory(center=served.center).user
    providers = [
        ServiceProviderFactory(name="Own Network", kind=ProviderKind.SELF_OPERATED),
        ServiceProviderFactory(name="Carrier X"),
        ServiceProviderFactory(name="Installer Y"),
    ]
    provider_users = {
        provider.pk: ProviderMembershipFactory(provider=provider, user=UserFactory()).user
        for provider in providers
    }
    start = start or timezone.now() - datetime.timedelta(days=10)
    chain = Chain(
        served=served,
        owner=owner,
        reviewer=reviewer,
        providers=providers,
        provider_users=provider_users,
        shipment=None,  # type: ignore[arg-type]
        start=start,
    )
    chain.shipment = new_shipment(chain, order="ORD-CHAIN-1")
    return chain


def image_bytes(fmt: str = "JPEG", *, size=(64, 48), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (180, 120, 60))
    out = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0132] = "2026:12:01 10:00:00"  # DateTime
        data[0x8825] = {2: (22.0, 30.0, 0.0)}  # GPSInfo: a latitude
        options["exif"] = data
    image.save(out, format=fmt, **options)
    return out.getvalue()


def upload(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name
