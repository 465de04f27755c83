"""The database itself refuses what the programs domain forbids."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from programs.choices import EnrollmentState, RuleSetStatus

from .factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
    RuleSetFactory,
)

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_cohort_window_opens_before_it_closes():
    now = timezone.now()
    refused(
        lambda: CohortFactory(
            application_opens_at=now, application_closes_at=now - datetime.timedelta(days=1)
        )
    )
    refused(lambda: CohortFactory(application_opens_at=now, application_closes_at=now))


def test_cohort_has_seats():
    refused(lambda: CohortFactory(seats=0))


def test_one_open_enrollment_per_merchant_and_program():
    first = EnrollmentFactory(state=EnrollmentState.SUBMITTED)
    other_cohort = CohortFactory(program=first.program)
    refused(lambda: EnrollmentFactory(merchant=first.merchant, cohort=other_cohort))


def test_a_closed_enrollment_does_not_block_a_new_application():
    first = EnrollmentFactory(state=EnrollmentState.REJECTED)
    again = EnrollmentFactory(merchant=first.merchant, cohort=CohortFactory(program=first.program))
    assert again.pk
    # ... and any number of closed ones may coexist.
    EnrollmentFactory(
        merchant=first.merchant,
        cohort=CohortFactory(program=first.program),
        state=EnrollmentState.WITHDRAWN,
    )


def test_one_eligibility_row_per_merchant_and_program():
    row = EligibilityFactory()
    refused(lambda: EligibilityFactory(merchant=row.merchant, rule_set=row.rule_set))


def test_rule_set_versions_are_unique_and_one_is_published():
    program = ProgramFactory()
    PublishedRuleSetFactory(program=program, version=1)
    refused(lambda: RuleSetFactory(program=program, version=1))
    refused(lambda: PublishedRuleSetFactory(program=program, version=2))
    RuleSetFactory(program=program, version=2, status=RuleSetStatus.DRAFT)


def test_published_rule_set_records_when():
    refused(lambda: RuleSetFactory(status=RuleSetStatus.PUBLISHED, published_at=None))


def test_rule_set_version_starts_at_one():
    refused(lambda: RuleSetFactory(version=0))
