"""The API's error shape for domain errors, whichever app raises them; DRF's own errors keep
theirs."""

import pytest
from rest_framework.exceptions import NotFound, ValidationError

from config.api_exceptions import api_exception_handler
from merchants.exceptions import MerchantError, MetricError
from programs.exceptions import (
    CriterionError,
    EnrollmentCohortFull,
    EnrollmentForbidden,
    EnrollmentNotEligible,
    EnrollmentStateError,
    ProgramError,
    RuleSetImmutable,
)


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            RuleSetImmutable("Source Power v1 is published.", code="immutable"),
            409,
            {"code": "immutable", "message": "Source Power v1 is published.", "field": None},
        ),
        (
            CriterionError("gmv_between: give a “min”, a “max” or both."),
            400,
            {
                "code": "invalid",
                "message": "gmv_between: give a “min”, a “max” or both.",
                "field": "criteria",
            },
        ),
        (
            ProgramError("The cohort is closed.", code="closed"),
            400,
            {"code": "closed", "message": "The cohort is closed.", "field": None},
        ),
        (
            MetricError("The month must be a first day.", code="month", field="month"),
            400,
            {"code": "month", "message": "The month must be a first day.", "field": "month"},
        ),
        (
            EnrollmentForbidden("Only the merchant may withdraw."),
            403,
            {"code": "forbidden", "message": "Only the merchant may withdraw.", "field": None},
        ),
        (
            EnrollmentStateError("A rejected application cannot be approved."),
            409,
            {
                "code": "invalid_state",
                "message": "A rejected application cannot be approved.",
                "field": None,
            },
        ),
        (
            EnrollmentCohortFull("Every seat is taken."),
            409,
            {"code": "cohort_full", "message": "Every seat is taken.", "field": None},
        ),
        (
            EnrollmentNotEligible("Not eligible."),
            400,
            {"code": "not_eligible", "message": "Not eligible.", "field": None},
        ),
        (
            MerchantError("No such merchant."),
            400,
            {"code": "invalid", "message": "No such merchant.", "field": None},
        ),
    ],
)
def test_domain_errors_have_one_shape(error, status, body):
    response = api_exception_handler(error, {})

    assert response.status_code == status
    assert response.data == {"error": body}


def test_drf_errors_keep_their_shape():
    response = api_exception_handler(ValidationError({"criteria": ["Required."]}), {})
    assert (response.status_code, response.data) == (400, {"criteria": ["Required."]})

    response = api_exception_handler(NotFound(), {})
    assert response.status_code == 404
    assert "detail" in response.data


def test_other_exceptions_are_not_handled():
    assert api_exception_handler(RuntimeError("boom"), {}) is None
