"""Factories the console tests need beyond ``tests/<app>/factories.py``, and the table of which
factory builds each registered model.

Candidates to move into the app factory files: ``TierPolicyFactory`` there gets-or-creates one
fixed year, so a batch returns a single row; the two newer models have no factory yet.
"""

import factory
from django.db import models
from django.utils import timezone

from belts.choices import BeltTier
from belts.models import (
    BeltTierChange,
    BeltYearStat,
    Category,
    City,
    IndustrialBelt,
    OperationCenter,
    OperationCenterMembership,
    TierPolicy,
)
from logistics.models import (
    ConditionCheck,
    ConditionCheckPhoto,
    Incident,
    Leg,
    ProviderMembership,
    ServiceProvider,
    Shipment,
    SlaBreach,
)
from merchants.choices import NotificationKind
from merchants.models import (
    ApiKey,
    Merchant,
    MerchantMembership,
    MonthlyMetric,
    Notification,
    NotificationPreference,
    Storefront,
    WebhookEndpoint,
)
from programs.choices import EnrollmentState
from programs.models import (
    Cohort,
    Eligibility,
    Enrollment,
    EnrollmentEvent,
    Program,
    RecomputeRun,
    ReviewQueueItem,
    RuleSet,
)
from tests.belts.factories import (
    BeltYearStatFactory,
    CategoryFactory,
    CityFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    TierPolicyFactory,
    UserFactory,
)
from tests.logistics.factories import (
    ConditionCheckFactory,
    ConditionCheckPhotoFactory,
    IncidentFactory,
    LegFactory,
    ProviderMembershipFactory,
    ServiceProviderFactory,
    ShipmentFactory,
    SlaBreachFactory,
)
from tests.merchants.factories import (
    ApiKeyFactory,
    MerchantFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
    NotificationFactory,
    StorefrontFactory,
    WebhookEndpointFactory,
)
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentEventFactory,
    EnrollmentFactory,
    ProgramFactory,
    RecomputeRunFactory,
    RuleSetFactory,
)


class TierPolicyYearsFactory(TierPolicyFactory):
    """One policy per year, so that a batch makes as many rows as asked."""

    year = factory.Sequence(lambda n: 1990 + n)


class BeltTierChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BeltTierChange

    belt = factory.SubFactory(IndustrialBeltFactory)
    year = 2025
    from_tier = BeltTier.STANDARD
    to_tier = BeltTier.GROWTH


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.ELIGIBILITY_GAINED
    email_enabled = True


class ReviewQueueItemFactory(EnrollmentFactory):
    class Meta:
        model = ReviewQueueItem

    state = EnrollmentState.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)


# Each factory makes a new, valid row on every call (no get-or-create collisions in a batch).
FACTORY_FOR_MODEL: dict[type[models.Model], type[factory.django.DjangoModelFactory]] = {
    ApiKey: ApiKeyFactory,
    City: CityFactory,
    Category: CategoryFactory,
    IndustrialBelt: IndustrialBeltFactory,
    BeltYearStat: BeltYearStatFactory,
    BeltTierChange: BeltTierChangeFactory,
    TierPolicy: TierPolicyYearsFactory,
    OperationCenter: OperationCenterFactory,
    OperationCenterMembership: OperationCenterMembershipFactory,
    Merchant: MerchantFactory,
    Storefront: StorefrontFactory,
    MerchantMembership: MerchantMembershipFactory,
    MonthlyMetric: MonthlyMetricFactory,
    Notification: NotificationFactory,
    NotificationPreference: NotificationPreferenceFactory,
    WebhookEndpoint: WebhookEndpointFactory,
    Program: ProgramFactory,
    RuleSet: RuleSetFactory,
    Eligibility: EligibilityFactory,
    Cohort: CohortFactory,
    Enrollment: EnrollmentFactory,
    EnrollmentEvent: EnrollmentEventFactory,
    ReviewQueueItem: ReviewQueueItemFactory,
    RecomputeRun: RecomputeRunFactory,
    ServiceProvider: ServiceProviderFactory,
    Shipment: ShipmentFactory,
    Leg: LegFactory,
    ConditionCheck: ConditionCheckFactory,
    ConditionCheckPhoto: ConditionCheckPhotoFactory,
    SlaBreach: SlaBreachFactory,
    ProviderMembership: ProviderMembershipFactory,
    Incident: IncidentFactory,
}


def add_children(obj: models.Model) -> None:
    """Give an object the related rows its change page shows inline, so the inlines render."""
    if isinstance(obj, IndustrialBelt):
        BeltYearStatFactory(belt=obj)
    elif isinstance(obj, OperationCenter):
        obj.belts.add(IndustrialBeltFactory())
        OperationCenterMembershipFactory(center=obj)
    elif isinstance(obj, Merchant):
        StorefrontFactory(merchant=obj)
        MerchantMembershipFactory(merchant=obj)
    elif isinstance(obj, Enrollment):
        EnrollmentEventFactory(enrollment=obj, actor=UserFactory())
    elif isinstance(obj, Shipment):
        LegFactory(shipment=obj)
    elif isinstance(obj, Leg):
        ConditionCheckFactory(giver=obj, checked_by=UserFactory())
    elif isinstance(obj, Eligibility):
        obj.rule_set.criteria = [
            {"type": "gmv_between", "params": {"min": "1000000", "max": None}},
            {"type": "smb", "params": {"value": True}},
        ]
        obj.rule_set.save(update_fields=["criteria"])
        obj.actuals = ["500000.00", True]
        obj.save(update_fields=["actuals"])
    elif isinstance(obj, Incident):
        obj.responsible_leg = LegFactory(shipment=obj.shipment)
        obj.save(update_fields=["responsible_leg"])
