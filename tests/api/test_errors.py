"""The API's error shape for domain errors, whichever app raises them; DRF's own errors keep
theirs."""

import re

import pytest
from django.urls import reverse
from rest_framework.exceptions import NotFound, ValidationError

from config.api_exceptions import api_exception_handler
from merchants.exceptions import MerchantError, MetricError
from programs.api import views
from programs.exceptions import (
    CriterionError,
    EnrollmentCohortFull,
    EnrollmentForbidden,
    EnrollmentNotEligible,
    EnrollmentStateError,
    ProgramError,
    RuleSetImmutable,
)
from programs.models import RuleSet

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            RuleSetImmutable("Source Power v1 is published.", code="immutable"),
            409,
            {
                "code": "immutable",
                "message": "Source Power v1 is published.",
                "field": None,
                "details": [],
            },
        ),
        (
            CriterionError("gmv_between: give a “min”, a “max” or both."),
            400,
            {
                "code": "invalid",
                "message": "gmv_between: give a “min”, a “max” or both.",
                "field": "criteria",
                "details": [],
            },
        ),
        (
            ProgramError("The cohort is closed.", code="closed"),
            400,
            {"code": "closed", "message": "The cohort is closed.", "field": None, "details": []},
        ),
        (
            MetricError("The month must be a first day.", code="month", field="month"),
            400,
            {
                "code": "month",
                "message": "The month must be a first day.",
                "field": "month",
                "details": [],
            },
        ),
        (
            EnrollmentForbidden("Only the merchant may withdraw."),
            403,
            {
                "code": "forbidden",
                "message": "Only the merchant may withdraw.",
                "field": None,
                "details": [],
            },
        ),
        (
            EnrollmentStateError("A rejected application cannot be approved."),
            409,
            {
                "code": "invalid_state",
                "message": "A rejected application cannot be approved.",
                "field": None,
                "details": [],
            },
        ),
        (
            EnrollmentCohortFull("Every seat is taken."),
            409,
            {
                "code": "cohort_full",
                "message": "Every seat is taken.",
                "field": None,
                "details": [],
            },
        ),
        (
            EnrollmentNotEligible("Not eligible."),
            400,
            {"code": "not_eligible", "message": "Not eligible.", "field": None, "details": []},
        ),
        (
            MerchantError("No such merchant."),
            400,
            {"code": "invalid", "message": "No such merchant.", "field": None, "details": []},
        ),
    ],
)
def test_domain_errors_have_one_shape(error, status, body):
    response = api_exception_handler(error, {})

    assert response.status_code == status
    assert response.data == {"error": body}


def test_drf_errors_come_in_the_same_shape():
    error = ValidationError({"criteria": ["Required."], "rows": [{}, {"gmv": ["Too big."]}]})
    response = api_exception_handler(error, {})
    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "invalid",
            "message": "criteria: Required.",
            "field": "criteria",
            "details": [
                {"field": "criteria", "code": "invalid", "message": "Required."},
                {"field": "rows.1.gmv", "code": "invalid", "message": "Too big."},
            ],
        }
    }

    response = api_exception_handler(NotFound(), {})
    assert response.status_code == 404
    assert response.data["error"]["code"] == "not_found"
    assert set(response.data["error"]) == {"code", "message", "field", "details"}


def test_other_exceptions_are_not_handled():
    assert api_exception_handler(RuntimeError("boom"), {}) is None


# Whole requests: every /api/v1/ answer is JSON in the one shape --------------------------------
def _assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.django_db
class TestEveryAnswerIsJSON:
    @pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/belts/1/x/", "/api/v1/x"])
    def test_an_unknown_path_is_a_json_404(self, user_api_client, path):
        _assert_error_shape(user_api_client.get(path), 404, "not_found")

    def test_a_missing_object_names_nothing(self, user_api_client):
        error = _assert_error_shape(
            user_api_client.get("/api/v1/belts/2000000000/"), 404, "not_found"
        )
        assert "belt" not in error["message"].lower()

    def test_json_nested_5000_deep_is_a_400(self, superuser_api_client):
        body = "[" * 5000 + "]" * 5000
        response = superuser_api_client.post(
            reverse("api:rule-set-list"), body, content_type="application/json"
        )
        _assert_error_shape(response, 400, "parse_error")

    def test_json_nested_past_the_limit_is_a_400_too(self, superuser_api_client):
        body = '{"criteria": ' + "[" * 40 + "]" * 40 + "}"
        response = superuser_api_client.post(
            reverse("api:rule-set-list"), body, content_type="application/json"
        )
        _assert_error_shape(response, 400, "parse_error")

    @pytest.mark.parametrize(
        "body",
        [
            '{"notes": "a\\u0000b", "criteria": []}',
            '{"criteria": [{"type": "smb", "params": {"x\\u0000": 1}}]}',
        ],
    )
    def test_a_nul_character_is_a_400(self, superuser_api_client, body):
        before = RuleSet.objects.count()
        response = superuser_api_client.post(
            reverse("api:rule-set-list"), body, content_type="application/json"
        )
        _assert_error_shape(response, 400, "parse_error")
        assert RuleSet.objects.count() == before

    def test_not_json_is_a_400(self, superuser_api_client):
        response = superuser_api_client.post(
            reverse("api:rule-set-list"), "{nope", content_type="application/json"
        )
        _assert_error_shape(response, 400, "parse_error")

    def test_a_form_body_is_a_415(self, superuser_api_client):
        response = superuser_api_client.post(
            reverse("api:rule-set-list"), "a=1", content_type="application/x-www-form-urlencoded"
        )
        _assert_error_shape(response, 415, "unsupported_media_type")

    def test_a_body_over_the_limit_is_a_413_before_parsing(self, superuser_api_client, settings):
        settings.API_MAX_BODY_BYTES = 100
        response = superuser_api_client.post(
            reverse("api:rule-set-list"), "x" * 101, content_type="application/json"
        )
        _assert_error_shape(response, 413, "too_large")

    def test_a_wrong_method_is_a_json_405(self, user_api_client):
        _assert_error_shape(
            user_api_client.delete(reverse("api:belt-list")), 405, "method_not_allowed"
        )

    def test_an_unexpected_error_is_a_json_500(self, superuser_api_client, monkeypatch):
        def boom(**kwargs):
            raise RuntimeError("the database fell over")

        monkeypatch.setattr(views.selectors, "program_list", boom)
        response = superuser_api_client.get(reverse("api:program-list"))
        error = _assert_error_shape(response, 500, "server_error")
        assert "database" not in error["message"]

    def test_errors_follow_accept_language(self, api_client):
        english = api_client.get(reverse("api:belt-list"), HTTP_ACCEPT_LANGUAGE="en")
        chinese = api_client.get(reverse("api:belt-list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert english.json()["error"]["message"] != chinese.json()["error"]["message"]
        assert HAN.search(chinese.json()["error"]["message"])

    def test_a_post_to_an_unknown_path_is_a_json_404_not_a_csrf_page(self, user_api_client):
        client = user_api_client
        client.handler.enforce_csrf_checks = True
        _assert_error_shape(client.post("/api/v1/enrollments/0.5/reject/", {}), 404, "not_found")

    @pytest.mark.parametrize("value", ["-1.577665701377951e+101", "99999999999999999999", "1.5"])
    def test_an_id_filter_past_a_bigint_is_a_400(self, superuser_api_client, value):
        response = superuser_api_client.get(reverse("api:eligibility-list"), {"merchant": value})
        error = _assert_error_shape(response, 400, "invalid")
        assert error["field"] == "merchant"

    def test_an_operation_may_take_a_larger_body(self, superuser_api_client, settings):
        # The bulk metrics take METRICS_BULK_MAX_BYTES; every other route API_MAX_BODY_BYTES.
        settings.API_MAX_BODY_BYTES = 100
        settings.METRICS_BULK_MAX_BYTES = 10_000
        body = '{"rows": []}' + " " * 500
        response = superuser_api_client.post(
            reverse("api:metric-bulk"), body, content_type="application/json"
        )
        assert response.status_code == 400  # read, and refused for holding no rows
        response = superuser_api_client.post(
            reverse("api:metric-bulk"), " " * 10_001, content_type="application/json"
        )
        _assert_error_shape(response, 413, "too_large")

    def test_a_host_not_allowed_is_a_json_400(self, user_api_client):
        response = user_api_client.get(reverse("api:belt-list"), HTTP_HOST="evil.example")
        _assert_error_shape(response, 400, "bad_request")

    def test_outside_the_api_a_bad_host_keeps_djangos_page(self, client):
        response = client.get("/portal/", HTTP_HOST="evil.example")
        assert response.status_code == 400
        assert not response["Content-Type"].startswith("application/json")
