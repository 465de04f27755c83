"""DRF's own answers in the request's language, and a 404 that names nothing."""

import pytest

from tests.belts.factories import SuperUserFactory, UserFactory
from tests.programs.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_a_missing_or_hidden_enrollment_is_one_generic_translated_404(api_client):
    hidden = EnrollmentFactory()
    api_client.force_login(UserFactory())  # a portal user with no merchant: sees none

    answers = [
        api_client.get(f"/api/v1/enrollments/{pk}/", **ZH) for pk in (hidden.pk, hidden.pk + 999)
    ]

    for response in answers:
        assert response.status_code == 404
        assert response["Content-Language"] == "zh-hans"
        assert response.json()["error"] == {
            "code": "not_found",
            "message": "未找到。",
            "field": None,
            "details": [],
        }
    assert answers[0].content == answers[1].content  # hidden reads as missing
    assert b"Enrollment" not in answers[0].content


def test_drf_messages_follow_the_request_language(api_client):
    api_client.force_login(SuperUserFactory())

    english = api_client.post("/api/v1/enrollments/", {}, format="json")
    chinese = api_client.post("/api/v1/enrollments/", {}, format="json", **ZH)
    anonymous = type(api_client)().get("/api/v1/enrollments/", **ZH)

    assert english.json()["error"]["details"][0]["message"] == "This field is required."
    assert chinese.json()["error"]["details"][0]["message"] == "此字段为必填项。"
    assert anonymous.json()["error"]["message"] == "身份认证信息未提供。"
