"""The demo's delivery-and-installation chains: a few hundred shipments of bulky goods from the
furniture and home belts, each drawn from its own generator, then written in bulk.

A shipment's legs (pickup, line haul, last mile, installation when the item is installed) are run
by the self-operated network end to end (a *single* chain) or by different providers per leg (a
*mixed* chain). The draw follows the goods along the chain up to the demo's "now": a leg may
damage them (contracted carriers more often), a hand-over may be made without looking (between
two providers far more often), a leg may overrun its SLA, parts may be missing from the carton,
an installer may botch the job. The incidents that follow are attributed with the pure
:func:`logistics.attribution.attribute`, as ``incidents_reattribute`` would, and most older ones
are resolved: the attributed provider bears the cost, otherwise the merchant or the platform with
the reason written down. SLA breaches are recorded for the legs completed late and the open legs
past due, as the hand-over services and ``sla_breaches_detect`` would. Nothing is notified: this
is the demo's history, not news.

Guarantees:

* **Deterministic.** Shipment ``i`` is drawn from ``random.Random`` seeded with ``(seed, i)``:
  it depends only on the seed, the as-of time and ``i``. Which merchant gets it depends on the
  demo merchants of its belt (the flagship's shipments excepted), as before.
* **Idempotent.** A shipment is known by its order reference; those that exist are skipped.
* **Bulk.** Shipments, legs, hand-overs, incidents and breaches are written with ``bulk_create``,
  a handful of queries for the lot.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser

from belts.models import City
from logistics.attribution import ATTRIBUTED, BEFORE_CHAIN, LegFacts, attribute
from logistics.choices import (
    BreachKind,
    Condition,
    CostBearer,
    IncidentKind,
    IncidentStatus,
    LegKind,
    ShipmentStatus,
)
from logistics.models import ConditionCheck, Incident, Leg, ServiceProvider, Shipment, SlaBreach
from merchants.models import Merchant

from . import data

SINGLE = "single"
MIXED = "mixed"
CLOSED_AFTER = datetime.timedelta(days=10)  # a finished shipment is closed this long after
RESOLVE_AFTER = datetime.timedelta(days=2)  # incidents younger than this are still open
CENT = Decimal("0.01")
STALLED_WITHIN = datetime.timedelta(days=4)


def order_reference(index: int) -> str:
    return f"{data.ORDER_PREFIX}{index + 1:04d}"


@dataclass(slots=True)
class LegPlan:
    kind: str
    provider: str
    sla_due_at: datetime.datetime
    started_at: datetime.datetime | None = None
    completed_at: datetime.datetime | None = None


@dataclass(slots=True)
class HandoverPlan:
    index: int
    condition: str
    note: str
    checked_at: datetime.datetime


@dataclass(slots=True)
class IncidentPlan:
    kind: str
    description: str
    reported_at: datetime.datetime
    resolution: str = ""
    cost: Decimal | None = None
    resolved_at: datetime.datetime | None = None
    bearer_draw: float = 0.0  # picks the merchant or the platform when no provider is attributed


@dataclass(slots=True)
class ShipmentPlan:
    index: int
    order_reference: str
    belt: str
    flagship: bool
    merchant_draw: float
    item: str
    declared_value: Decimal
    destination_city: str
    created_at: datetime.datetime
    promised_delivery_on: datetime.date
    promised_installation_on: datetime.date | None
    chain: str
    status: str = ShipmentStatus.CREATED
    legs: list[LegPlan] = field(default_factory=list)
    handovers: list[HandoverPlan] = field(default_factory=list)
    incidents: list[IncidentPlan] = field(default_factory=list)


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in pairs], [weight for _, weight in pairs])[0]


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class ChainPlanner:
    """Draws demo shipment ``i``; ``plan(i)`` depends only on the seed, ``now`` and ``i``."""

    def __init__(self, *, seed: int, now: datetime.datetime) -> None:
        self.seed = seed
        self.now = now
        self.belts = data.CHAIN_BELTS
        self.cities = [city.name for city in data.CITIES]

    def plan(self, index: int) -> ShipmentPlan:
        rng = random.Random(f"belt-ops-demo:{self.seed}:shipment:{index}")
        flagship = index < data.FLAGSHIP_SHIPMENTS
        belt = rng.choices(self.belts, [spec.weight for spec in self.belts])[0]
        if flagship:
            belt = next(spec for spec in self.belts if spec.belt == data.FLAGSHIP_BELT)
        item = rng.choice(belt.items)
        chain = SINGLE if rng.random() < data.SINGLE_CHAIN_SHARE else MIXED
        days_ago = rng.uniform(0.3, 60.0)
        # The flagship's first shipment is the article's case, long finished; its second is on
        # its way.
        story = {0: "line_haul_damage", 1: "in_transit"}.get(index, "") if flagship else ""
        if story == "line_haul_damage":
            chain, days_ago = MIXED, rng.uniform(18.0, 30.0)
            item = next(spec for spec in belt.items if spec.installed)
        elif story == "in_transit":
            days_ago = rng.uniform(2.0, 3.5)
        created_at = self.now - datetime.timedelta(hours=days_ago * 24)
        kinds = [LegKind.PICKUP, LegKind.LINE_HAUL, LegKind.LAST_MILE]
        if item.installed:
            kinds.append(LegKind.INSTALLATION)
        if chain == SINGLE:
            providers = [data.SELF_OPERATED] * len(kinds)
        else:
            providers = self._mixed_providers(rng, kinds)
        allowances = [rng.randint(*data.LEG_SLA_HOURS[kind]) for kind in kinds]
        delivery_hours = 6 + sum(allowances[:3])
        promised_delivery = (created_at + datetime.timedelta(hours=delivery_hours)).date()
        promised_installation = None
        if item.installed:
            promised_installation = (
                created_at + datetime.timedelta(hours=delivery_hours + allowances[3])
            ).date()
        plan = ShipmentPlan(
            index=index,
            order_reference=order_reference(index),
            belt=belt.belt,
            flagship=flagship,
            merchant_draw=rng.random(),
            item=item.description,
            declared_value=Decimal(rng.randint(item.low // 10, item.high // 10) * 10),
            destination_city=rng.choice(self.cities),
            created_at=created_at,
            promised_delivery_on=promised_delivery,
            promised_installation_on=promised_installation,
            chain=chain,
        )
        self._journey(rng, plan, kinds, providers, allowances, story)
        return plan

    @staticmethod
    def _mixed_providers(rng: random.Random, kinds: Sequence[str]) -> list[str]:
        while True:
            providers = [_weighted(rng, data.LEG_PROVIDERS[kind]) for kind in kinds]
            if len(set(providers)) > 1:
                return providers

    def _journey(self, rng, plan, kinds, providers, allowances, story) -> None:
        """The goods along the chain up to ``now``: legs, hand-overs, incidents."""
        now = self.now
        self_operated = data.SELF_OPERATED
        count = len(kinds)
        at = plan.created_at + datetime.timedelta(hours=rng.uniform(1.0, 8.0))  # the pickup
        # What happens to the goods, drawn whether or not the chain gets that far.
        damaged_by: int | None = None  # the sequence of the leg that damaged them (0: before)
        if rng.random() < data.DAMAGED_BEFORE_PICKUP and not story:
            damaged_by = 0
        damage_draws = [rng.random() for _ in kinds]
        missing = rng.random() < data.MISSING_PART_RATE and not story
        packing = missing and (rng.random() < data.PACKING_SHARE or count < 4)
        defect_draw = rng.random()
        for sequence, (kind, provider) in enumerate(zip(kinds, providers, strict=True), 1):
            rate = data.DAMAGE_RATES[kind][0 if provider == self_operated else 1]
            if damaged_by is None and damage_draws[sequence - 1] < rate:
                damaged_by = sequence
        if story == "line_haul_damage":
            damaged_by = 2
        # Legs and hand-overs, in time.
        previous_due = plan.created_at
        for sequence, (kind, provider) in enumerate(zip(kinds, providers, strict=True), 1):
            allowance = datetime.timedelta(hours=allowances[sequence - 1])
            started = at is not None and at <= now
            # A leg not started yet is due its allowance after the later of its predecessor's
            # due time and now, so that it is never overdue before it could start.
            due = (at if started else max(previous_due, now)) + allowance
            leg = LegPlan(kind=kind, provider=provider, sla_due_at=due)
            plan.legs.append(leg)
            previous_due = due
            if not started:
                at = None
                continue
            if sequence == 1:
                self._handover(
                    rng,
                    plan,
                    index=0,
                    giver=None,
                    receiver=provider,
                    at=at,
                    damaged=damaged_by == 0,
                    sealed=packing,
                    checked=bool(story) or damaged_by == 0,
                )
            leg.started_at = at
            late_rate = data.LATE_RATES[0 if provider == self_operated else 1]
            if rng.random() < late_rate and story != "line_haul_damage":
                hours = allowances[sequence - 1] * rng.uniform(1.05, 1.7)
            else:
                hours = allowances[sequence - 1] * rng.uniform(0.3, 0.95)
            end = at + datetime.timedelta(hours=hours)
            # A leg due in the last few days may be stuck: open, past its SLA.
            stall_rate = data.STALLED_RATES[0 if provider == self_operated else 1]
            if rng.random() < stall_rate and due < now < due + STALLED_WITHIN and not story:
                end = now + datetime.timedelta(hours=1)
            if story == "in_transit" and sequence == 2:
                end = max(end, now + datetime.timedelta(hours=6))
            if end > now:
                at = None
                continue
            leg.completed_at = end
            receiver = providers[sequence] if sequence < count else None
            damaged = damaged_by is not None and damaged_by <= sequence
            parts_missing = missing and sequence == count
            self._handover(
                rng,
                plan,
                index=sequence,
                giver=provider,
                receiver=receiver,
                at=end,
                damaged=damaged,
                missing=parts_missing,
                sealed=packing and sequence < count,
                checked=bool(story) or parts_missing,
            )
            at = end
        plan.status = self._status(plan)
        self._incidents(rng, plan, damaged_by, missing, defect_draw, story)

    @staticmethod
    def _handover(
        rng: random.Random,
        plan: ShipmentPlan,
        *,
        index: int,
        giver: str | None,
        receiver: str | None,
        at: datetime.datetime,
        damaged: bool,
        missing: bool = False,
        sealed: bool = False,
        checked: bool = False,
    ) -> None:
        """Record hand-over ``index``: the goods' true state, unless nobody looked (more often
        between two providers) or the carton stayed sealed; ``checked``: somebody looked."""
        between = 0 if giver is None or giver == receiver else 1
        not_checked = data.NOT_CHECKED_RATES[between]
        if sealed and not damaged:
            condition, note = Condition.NOT_CHECKED, data.SEALED_NOTE
        elif not checked and rng.random() < not_checked:
            condition, note = Condition.NOT_CHECKED, rng.choice(data.NOT_CHECKED_NOTES)
        elif damaged:
            condition, note = Condition.DAMAGED, rng.choice(data.DAMAGE_NOTES)
        elif missing:
            condition, note = Condition.MISSING_PARTS, rng.choice(data.MISSING_PART_NOTES)
        else:
            condition, note = Condition.INTACT, ""
        plan.handovers.append(HandoverPlan(index, condition, note, at))

    def _status(self, plan: ShipmentPlan) -> str:
        legs = plan.legs
        if legs[0].started_at is None:
            return ShipmentStatus.CREATED
        last = legs[-1]
        if last.completed_at is not None:
            if self.now - last.completed_at > CLOSED_AFTER:
                return ShipmentStatus.CLOSED
            if last.kind == LegKind.INSTALLATION:
                return ShipmentStatus.INSTALLED
            return ShipmentStatus.DELIVERED
        delivery = next(leg for leg in legs if leg.kind == LegKind.LAST_MILE)
        if delivery.completed_at is not None:
            return ShipmentStatus.DELIVERED
        return ShipmentStatus.IN_TRANSIT

    def _incidents(self, rng, plan, damaged_by, missing, defect_draw, story) -> None:
        now = self.now
        handovers = plan.handovers
        finished = plan.legs[-1].completed_at
        hours = datetime.timedelta(hours=1)
        found: list[tuple[str, str, datetime.datetime]] = []
        if damaged_by is not None:
            seen = next((h for h in handovers if h.condition == Condition.DAMAGED), None)
            if seen is not None:
                found.append(
                    (
                        IncidentKind.DAMAGE,
                        rng.choice(data.DAMAGE_DESCRIPTIONS),
                        seen.checked_at + hours * rng.uniform(0.5, 6.0),
                    )
                )
            elif finished is not None:  # nobody looked: the buyer finds it
                found.append(
                    (
                        IncidentKind.DAMAGE,
                        rng.choice(data.DAMAGE_DESCRIPTIONS),
                        finished + hours * rng.uniform(2.0, 30.0),
                    )
                )
        if missing and finished is not None and handovers[-1].condition == "missing_parts":
            found.append(
                (
                    IncidentKind.MISSING_PART,
                    rng.choice(data.MISSING_PART_DESCRIPTIONS),
                    finished + hours * rng.uniform(0.5, 12.0),
                )
            )
        installer = plan.legs[-1]
        if installer.kind == LegKind.INSTALLATION and finished is not None and not story:
            rate = data.INSTALLATION_DEFECT_RATES[
                0 if installer.provider == data.SELF_OPERATED else 1
            ]
            if defect_draw < rate:
                found.append(
                    (
                        IncidentKind.INSTALLATION_DEFECT,
                        rng.choice(data.INSTALLATION_DEFECT_DESCRIPTIONS),
                        finished + hours * rng.uniform(2.0, 72.0),
                    )
                )
        late = next((leg for leg in plan.legs if (leg.completed_at or now) > leg.sla_due_at), None)
        if late is not None and rng.random() < data.DELAY_REPORT_RATE and not story:
            found.append(
                (
                    IncidentKind.DELAY,
                    rng.choice(data.DELAY_DESCRIPTIONS),
                    late.sla_due_at + hours * rng.uniform(2.0, 30.0),
                )
            )
        for kind, description, reported_at in found:
            if reported_at > now:
                continue  # not reported yet
            incident = IncidentPlan(kind, description, reported_at, bearer_draw=rng.random())
            resolve = rng.random() < data.RESOLVED_RATE or bool(story)
            resolved_at = reported_at + hours * rng.uniform(12.0, 120.0)
            if resolve and now - reported_at > RESOLVE_AFTER and resolved_at < now:
                incident.resolution = _weighted(rng, data.RESOLUTION_WEIGHTS[kind])
                if story:
                    incident.resolution = "resend_new"
                incident.cost = self._cost(rng, kind, incident.resolution, plan.declared_value)
                incident.resolved_at = resolved_at
            plan.incidents.append(incident)

    @staticmethod
    def _cost(rng: random.Random, kind: str, resolution: str, value: Decimal) -> Decimal:
        worth = float(value)
        if resolution == "resend_new":
            if kind == IncidentKind.MISSING_PART:
                return _money(rng.uniform(40.0, 260.0))  # the missing parts, sent by courier
            return _money(worth * rng.uniform(1.03, 1.12))  # a new item and its freight
        if resolution == "return_refund":
            return _money(worth + rng.uniform(80.0, 320.0))
        if resolution == "repair":
            return _money(rng.uniform(120.0, 650.0))
        if kind == IncidentKind.DELAY:
            return _money(worth * rng.uniform(0.03, 0.10))
        return _money(worth * rng.uniform(0.08, 0.30))


# Writing ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class ChainReport:
    created: int = 0
    kept: int = 0
    legs: int = 0
    incidents: int = 0
    breaches: int = 0


def _bearer(result, incident: IncidentPlan) -> tuple[str, str]:
    if result.status == ATTRIBUTED:
        return CostBearer.PROVIDER, ""
    if result.status == BEFORE_CHAIN:
        return CostBearer.MERCHANT, data.BEFORE_CHAIN_NOTE
    draw = incident.bearer_draw
    for bearer, weight, note in data.UNATTRIBUTED_BEARERS:
        if draw < weight:
            return bearer, note
        draw -= weight
    return data.UNATTRIBUTED_BEARERS[-1][0], data.UNATTRIBUTED_BEARERS[-1][2]


def write_chains(
    *,
    seed: int,
    now: datetime.datetime,
    flagship: Merchant,
    pools: dict[str, list[int]],
    resolvers: dict[str, AbstractBaseUser | None],
) -> ChainReport:
    """Write the demo shipments that do not exist yet. ``pools``: the demo merchants (ids, in
    the order of their keys, the flagship left out) of each chain belt, by slug; ``resolvers``:
    who resolves the incidents of a belt's merchants (by slug, ``""`` for the others). Runs in
    the caller's transaction."""
    report = ChainReport()
    references = [order_reference(index) for index in range(data.CHAIN_SHIPMENTS)]
    existing = set(
        Shipment.objects.filter(order_reference__in=references).values_list(
            "order_reference", flat=True
        )
    )
    todo = [index for index in range(data.CHAIN_SHIPMENTS) if references[index] not in existing]
    report.kept = data.CHAIN_SHIPMENTS - len(todo)
    if not todo:
        return report
    planner = ChainPlanner(seed=seed, now=now)
    plans = [planner.plan(index) for index in todo]
    providers = {provider.name: provider for provider in ServiceProvider.objects.all()}
    cities = dict(City.objects.values_list("name", "pk"))
    fallback = pools.get(data.FLAGSHIP_BELT) or [flagship.pk]
    belt_of = {pk: slug for slug, pool in pools.items() for pk in pool}
    belt_of[flagship.pk] = flagship.belt.slug

    shipments = []
    for plan in plans:
        if plan.flagship:
            merchant_id = flagship.pk
        else:
            pool = pools.get(plan.belt) or fallback
            merchant_id = pool[int(plan.merchant_draw * len(pool))]
        shipments.append(
            Shipment(
                merchant_id=merchant_id,
                order_reference=plan.order_reference,
                item_description=plan.item,
                declared_value=plan.declared_value,
                destination_city_id=cities[plan.destination_city],
                promised_delivery_on=plan.promised_delivery_on,
                promised_installation_on=plan.promised_installation_on,
                status=plan.status,
            )
        )
    Shipment.objects.bulk_create(shipments, batch_size=500)
    # created_at is auto_now_add: backdate it to the story's time (bulk_update does not touch it).
    for shipment, plan in zip(shipments, plans, strict=True):
        shipment.created_at = plan.created_at
    Shipment.objects.bulk_update(shipments, ["created_at"], batch_size=500)

    legs = [
        Leg(
            shipment_id=shipment.pk,
            kind=leg.kind,
            sequence=sequence,
            provider_id=providers[leg.provider].pk,
            sla_due_at=leg.sla_due_at,
            started_at=leg.started_at,
            completed_at=leg.completed_at,
        )
        for shipment, plan in zip(shipments, plans, strict=True)
        for sequence, leg in enumerate(plan.legs, start=1)
    ]
    Leg.objects.bulk_create(legs, batch_size=1000)
    report.legs = len(legs)

    checks: list[ConditionCheck] = []
    incidents: list[Incident] = []
    breaches: list[SlaBreach] = []
    position = 0
    ten_minutes = datetime.timedelta(minutes=10)
    for shipment, plan in zip(shipments, plans, strict=True):
        rows = legs[position : position + len(plan.legs)]
        position += len(plan.legs)
        by_sequence = {leg.sequence: leg for leg in rows}
        for handover in plan.handovers:
            checks.append(
                ConditionCheck(
                    shipment_id=shipment.pk,
                    index=handover.index,
                    giver=by_sequence.get(handover.index),
                    receiver=by_sequence.get(handover.index + 1),
                    condition=handover.condition,
                    note=handover.note,
                    checked_at=handover.checked_at,
                )
            )
        for leg in rows:
            if leg.completed_at is not None and leg.completed_at > leg.sla_due_at:
                breaches.append(
                    SlaBreach(
                        leg_id=leg.pk,
                        kind=BreachKind.COMPLETED_LATE,
                        detected_at=leg.completed_at,
                        due_at=leg.sla_due_at,
                    )
                )
            elif leg.completed_at is None and leg.sla_due_at < now:
                breaches.append(
                    SlaBreach(
                        leg_id=leg.pk,
                        kind=BreachKind.OPEN_OVERDUE,
                        detected_at=min(leg.sla_due_at + ten_minutes, now),
                        due_at=leg.sla_due_at,
                    )
                )
        if not plan.incidents:
            continue
        facts = [
            LegFacts(
                sequence=leg.sequence,
                kind=leg.kind,
                provider_id=leg.provider_id,
                provider_name=providers[plan.legs[leg.sequence - 1].provider].name,
                provider_name_zh=providers[plan.legs[leg.sequence - 1].provider].name_zh,
                sla_due_at=leg.sla_due_at,
                started_at=leg.started_at,
                completed_at=leg.completed_at,
            )
            for leg in rows
        ]
        grades = {handover.index: handover.condition for handover in plan.handovers}
        recorded = [grades.get(index) for index in range(len(rows) + 1)]
        resolver = resolvers.get(belt_of.get(shipment.merchant_id, ""), resolvers.get(""))
        for incident in plan.incidents:
            result = attribute(kind=incident.kind, legs=facts, handovers=recorded, now=now)
            leg = by_sequence[result.leg] if result.leg else None
            row = Incident(
                shipment_id=shipment.pk,
                kind=incident.kind,
                description=incident.description,
                reported_at=incident.reported_at,
                responsible_leg=leg,
                attribution=result.as_json(),
                attribution_status=result.status,
                attributed_at=incident.reported_at if leg else None,
                status=IncidentStatus.ATTRIBUTED if leg else IncidentStatus.OPEN,
            )
            if incident.resolution:
                bearer, note = _bearer(result, incident)
                row.status = IncidentStatus.RESOLVED
                row.resolution = incident.resolution
                row.resolution_cost = incident.cost
                row.cost_bearer = bearer
                row.bearer_provider_id = leg.provider_id if bearer == CostBearer.PROVIDER else None
                row.resolution_note = note
                row.resolved_by = resolver
                row.resolved_at = incident.resolved_at
            incidents.append(row)
    ConditionCheck.objects.bulk_create(checks, batch_size=1000)
    Incident.objects.bulk_create(incidents, batch_size=500)
    SlaBreach.objects.bulk_create(breaches, batch_size=1000)
    report.created = len(plans)
    report.incidents = len(incidents)
    report.breaches = len(breaches)
    return report
