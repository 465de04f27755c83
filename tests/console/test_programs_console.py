"""What the programs console refuses: editing a published or retired rule set, and writing to
the enrollment audit log."""

import pytest
from django.contrib.admin import helpers
from django.utils import timezone

from programs.choices import EnrollmentState, RuleSetStatus
from programs.models import Eligibility, Enrollment, EnrollmentEvent, RuleSet
from tests.belts.factories import CategoryFactory
from tests.programs.factories import (
    EligibilityFactory,
    EnrollmentEventFactory,
    EnrollmentFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
    RuleSetFactory,
)

from .base import admin_url
from .criteria_rows import criteria_rows

pytestmark = pytest.mark.django_db

NEW_CRITERIA = [{"type": "refund_rate_at_most", "params": {"max": "0.05"}}]


def _rule_set_form(rule_set, **overrides):
    data = {
        "program": rule_set.program_id,
        "version": rule_set.version,
        **criteria_rows(("refund_rate_at_most", {"max": "5"})),
        "notes": "edited in the console",
    }
    data.update(overrides)
    return data


@pytest.fixture(params=[RuleSetStatus.PUBLISHED, RuleSetStatus.RETIRED])
def frozen_rule_set(request):
    now = timezone.now()
    return PublishedRuleSetFactory(
        status=request.param,
        retired_at=now if request.param == RuleSetStatus.RETIRED else None,
    )


class TestFrozenRuleSet:
    def test_change_page_is_read_only(self, console_client, frozen_rule_set):
        response = console_client.get(admin_url(RuleSet, "change", frozen_rule_set.pk))
        assert response.status_code == 200
        assert response.context["has_change_permission"] is False
        assert response.context["has_delete_permission"] is False
        assert {"program", "version", "criteria_sentences", "notes"} <= set(
            response.context["adminform"].readonly_fields
        )
        assert 'name="_save"' not in response.content.decode()

    def test_change_post_is_refused(self, console_client, frozen_rule_set):
        criteria = frozen_rule_set.criteria
        response = console_client.post(
            admin_url(RuleSet, "change", frozen_rule_set.pk), _rule_set_form(frozen_rule_set)
        )
        assert response.status_code == 403
        frozen_rule_set.refresh_from_db()
        assert frozen_rule_set.criteria == criteria
        assert frozen_rule_set.notes == ""

    def test_delete_is_refused(self, console_client, frozen_rule_set):
        url = admin_url(RuleSet, "delete", frozen_rule_set.pk)
        assert console_client.get(url).status_code == 403
        assert console_client.post(url, {"post": "yes"}).status_code == 403
        assert RuleSet.objects.filter(pk=frozen_rule_set.pk).exists()

    def test_bulk_delete_is_refused(self, console_client, frozen_rule_set):
        draft = RuleSetFactory(program=frozen_rule_set.program)
        response = console_client.post(
            admin_url(RuleSet, "changelist"),
            {
                "action": "delete_selected",
                helpers.ACTION_CHECKBOX_NAME: [frozen_rule_set.pk, draft.pk],
                "post": "yes",
            },
        )
        assert response.status_code == 403
        assert RuleSet.objects.filter(pk__in=[frozen_rule_set.pk, draft.pk]).count() == 2

    def test_deleting_its_program_is_refused(self, console_client, frozen_rule_set):
        url = admin_url(frozen_rule_set.program._meta.model, "delete", frozen_rule_set.program_id)
        assert console_client.post(url, {"post": "yes"}).status_code == 403
        assert RuleSet.objects.filter(pk=frozen_rule_set.pk).exists()


class TestDraftRuleSet:
    def test_a_draft_is_edited_but_not_published_from_the_form(self, console_client):
        draft = RuleSetFactory()
        response = console_client.post(
            admin_url(RuleSet, "change", draft.pk),
            _rule_set_form(draft, status=RuleSetStatus.PUBLISHED, published_at="2025-01-01"),
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        draft.refresh_from_db()
        assert draft.criteria == NEW_CRITERIA
        assert draft.status == RuleSetStatus.DRAFT
        assert draft.published_at is None

    def test_criteria_the_engine_cannot_read_are_refused(self, console_client):
        draft = RuleSetFactory()
        before = draft.criteria
        response = console_client.post(
            admin_url(RuleSet, "change", draft.pk),
            _rule_set_form(draft, **criteria_rows(("astrology_sign_in", {}))),
        )
        assert response.status_code == 200
        (row,) = response.context["criteria_formset"].forms
        assert "type" in row.errors
        draft.refresh_from_db()
        assert draft.criteria == before

    def test_a_new_draft_records_who_wrote_it(self, console_client, superuser):
        program = ProgramFactory()
        response = console_client.post(
            admin_url(RuleSet, "add"),
            {"program": program.pk, "version": 1, **criteria_rows(), "notes": ""},
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        rule_set = RuleSet.objects.get(program=program)
        assert rule_set.status == RuleSetStatus.DRAFT
        assert rule_set.created_by == superuser

    def test_a_draft_can_be_deleted(self, console_client):
        draft = RuleSetFactory()
        response = console_client.post(admin_url(RuleSet, "delete", draft.pk), {"post": "yes"})
        assert response.status_code == 302
        assert not RuleSet.objects.filter(pk=draft.pk).exists()


class TestEnrollmentEventLog:
    def test_cannot_be_added(self, console_client):
        enrollment = EnrollmentFactory()
        url = admin_url(EnrollmentEvent, "add")
        assert console_client.get(url).status_code == 403
        response = console_client.post(
            url,
            {
                "enrollment": enrollment.pk,
                "from_state": EnrollmentState.DRAFT,
                "to_state": EnrollmentState.APPROVED,
            },
        )
        assert response.status_code == 403
        assert not EnrollmentEvent.objects.exists()

    def test_cannot_be_changed(self, console_client):
        event = EnrollmentEventFactory(reason="submitted by the merchant")
        url = admin_url(EnrollmentEvent, "change", event.pk)
        response = console_client.get(url)
        assert response.status_code == 200
        assert response.context["has_change_permission"] is False
        response = console_client.post(
            url,
            {
                "enrollment": event.enrollment_id,
                "from_state": EnrollmentState.DRAFT,
                "to_state": EnrollmentState.APPROVED,
                "reason": "rewritten",
            },
        )
        assert response.status_code == 403
        event.refresh_from_db()
        assert (event.to_state, event.reason) == (
            EnrollmentState.SUBMITTED,
            "submitted by the merchant",
        )

    def test_cannot_be_deleted(self, console_client):
        event = EnrollmentEventFactory()
        url = admin_url(EnrollmentEvent, "delete", event.pk)
        assert console_client.get(url).status_code == 403
        assert console_client.post(url, {"post": "yes"}).status_code == 403
        response = console_client.post(
            admin_url(EnrollmentEvent, "changelist"),
            {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [event.pk], "post": "yes"},
        )
        assert response.status_code in {200, 302}  # the action is not offered
        assert EnrollmentEvent.objects.filter(pk=event.pk).exists()

    def test_deleting_an_enrollment_with_history_is_refused(self, console_client):
        event = EnrollmentEventFactory()
        url = admin_url(Enrollment, "delete", event.enrollment_id)
        assert console_client.post(url, {"post": "yes"}).status_code == 403
        assert EnrollmentEvent.objects.filter(pk=event.pk).exists()


class TestEnrollment:
    def test_state_is_not_edited_in_the_console(self, console_client):
        event = EnrollmentEventFactory(enrollment__state=EnrollmentState.SUBMITTED)
        enrollment = event.enrollment
        url = admin_url(Enrollment, "change", enrollment.pk)

        response = console_client.get(url)
        assert response.status_code == 200
        assert "state" in response.context["adminform"].readonly_fields
        (events_formset,) = response.context["inline_admin_formsets"]
        assert events_formset.has_add_permission is False
        assert events_formset.has_change_permission is False
        management = events_formset.formset.management_form
        data = {management.add_prefix(name): management[name].value() for name in management.fields}
        data.update(
            {
                f"{events_formset.formset.prefix}-0-id": event.pk,
                "eligibility_override_reason": "Belt pilot, approved by the center manager.",
                "state": EnrollmentState.APPROVED,
            }
        )

        response = console_client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        enrollment.refresh_from_db()
        assert enrollment.state == EnrollmentState.SUBMITTED
        assert enrollment.eligibility_override_reason.startswith("Belt pilot")
        assert enrollment.events.count() == 1

    def test_cannot_be_added_in_the_console(self, console_client):
        assert console_client.get(admin_url(Enrollment, "add")).status_code == 403


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Furniture", "Luggage", "CNY 777,777", "at least CNY 1 M", "CNY 222,222"]),
        ("zh-hans", ["家具", "箱包", "¥77.8万", "不低于 ¥100万", "¥22.2万"]),
    ],
)
def test_an_eligibility_row_reads_in_the_readers_units(console_client, language, words):
    CategoryFactory(slug="furniture", name="Furniture", name_zh="家具")
    CategoryFactory(slug="luggage", name="Luggage", name_zh="箱包")
    rule_set = PublishedRuleSetFactory(
        criteria=[
            {"type": "gmv_between", "params": {"min": "1000000"}},
            {"type": "category_in", "params": {"categories": ["luggage"]}},
        ]
    )
    row = EligibilityFactory(
        rule_set=rule_set, is_eligible=False, actuals=["777777.77", "furniture"]
    )
    console_client.cookies["django_language"] = language
    page = console_client.get(admin_url(Eligibility, "change", row.pk)).content.decode()
    reasons = page[page.index("<table><thead>") :]
    reasons = reasons[: reasons.index("</table>")]
    for word in words:
        assert word in reasons, word
    assert "777777.77" not in reasons
    assert ">furniture<" not in reasons
    assert ">luggage<" not in reasons
