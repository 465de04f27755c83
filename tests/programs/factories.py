import datetime

import factory
from django.utils import timezone

from programs.choices import EnrollmentState, RuleSetStatus
from programs.models import (
    Cohort,
    Eligibility,
    Enrollment,
    EnrollmentEvent,
    Program,
    RecomputeRun,
    RuleSet,
)
from tests.merchants.factories import MerchantFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"Program {n}")


class RuleSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleSet

    program = factory.SubFactory(ProgramFactory)
    version = factory.Sequence(lambda n: n + 1)
    status = RuleSetStatus.DRAFT
    criteria = factory.LazyFunction(
        lambda: [{"type": "gmv_between", "params": {"min": "1000000", "max": None}}]
    )


class PublishedRuleSetFactory(RuleSetFactory):
    status = RuleSetStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class EligibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Eligibility

    merchant = factory.SubFactory(MerchantFactory)
    rule_set = factory.SubFactory(PublishedRuleSetFactory)
    program = factory.SelfAttribute("rule_set.program")
    is_eligible = True
    # What the default rule set's one criterion (GMV of at least 1 M) saw.
    actuals = factory.LazyFunction(lambda: ["1500000.00"])
    computed_at = factory.LazyFunction(timezone.now)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    application_opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    application_closes_at = factory.LazyFunction(
        lambda: timezone.now() + datetime.timedelta(days=21)
    )
    seats = 10


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    merchant = factory.SubFactory(MerchantFactory)
    cohort = factory.SubFactory(CohortFactory)
    program = factory.SelfAttribute("cohort.program")
    state = EnrollmentState.DRAFT


class EnrollmentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnrollmentEvent

    enrollment = factory.SubFactory(EnrollmentFactory)
    from_state = EnrollmentState.DRAFT
    to_state = EnrollmentState.SUBMITTED


class RecomputeRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecomputeRun

    trigger = "nightly"
    status = "finished"
    as_of = factory.LazyFunction(timezone.localdate)
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=5))
    finished_at = factory.LazyFunction(timezone.now)
    chunks = 20
    chunks_done = 20
    merchants = 100_000
    written = 1_000
