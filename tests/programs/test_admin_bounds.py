"""The console takes rule sets, graduation criteria and reasons within the same bounds as the
API, and a draft stored out of bounds shows what to fix instead of failing."""

import json

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from programs.admin.cohorts import CohortForm
from programs.admin.enrollments import EnrollmentForm
from programs.admin.programs import ProgramForm
from programs.admin.review_queue import DecisionForm
from programs.admin.rule_sets import RuleSetForm
from programs.choices import RuleSetStatus
from programs.models import Cohort, RuleSet
from tests.belts.factories import SuperUserFactory
from tests.console.criteria_rows import criteria_rows
from tests.programs.factories import (
    CohortFactory,
    EnrollmentFactory,
    ProgramFactory,
    RuleSetFactory,
)

SMB = {"type": "smb", "params": {"value": True}}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def console_client(db) -> Client:
    client = Client()
    client.force_login(SuperUserFactory())
    return client


@pytest.mark.django_db
def test_the_rule_set_form_applies_the_bounds():
    program = ProgramFactory()
    rows = criteria_rows(*[("smb", {"value": "yes"})] * 51)
    form = RuleSetForm(data={"program": program.pk, **rows, "notes": "x" * 2001})
    assert not form.is_valid()
    assert form.criteria_formset.non_form_errors() == [
        "A rule set holds at most 50 criteria, not 51."
    ]
    assert "notes" in form.errors

    rows = criteria_rows(
        ("smb", {"value": "yes"}),
        ("category_in", {"categories": ["nowhere"]}),
        ("no_such_type", {}),
    )
    form = RuleSetForm(data={"program": program.pk, **rows, "notes": ""})
    assert not form.is_valid()
    first, second, third = form.criteria_formset.forms
    assert not first.errors
    # Only a known category may be chosen; an unknown type is not a choice either.
    assert "category_in__categories" in second.errors
    assert third.errors["type"][0].startswith("Select a valid choice.")


@pytest.mark.django_db
def test_the_cohort_form_validates_graduation_criteria():
    cohort = CohortFactory()
    data = {
        "program": cohort.program_id,
        "name": cohort.name,
        "application_opens_at": cohort.application_opens_at.strftime("%Y-%m-%d %H:%M:%S"),
        "application_closes_at": cohort.application_closes_at.strftime("%Y-%m-%d %H:%M:%S"),
        "seats": 5,
        "graduation_criteria": json.dumps([{"type": "gmv_between", "params": {"min": "x\x00"}}]),
    }
    form = CohortForm(data=data, instance=cohort)
    assert not form.is_valid()
    assert form.errors["graduation_criteria"][0].startswith("Criterion 1: “min” cannot hold")

    data["graduation_criteria"] = json.dumps([{"type": "gmv_between", "params": {"min": "5"}}])
    form = CohortForm(data=data, instance=cohort)
    assert form.is_valid(), form.errors
    form.save()
    assert Cohort.objects.get(pk=cohort.pk).graduation_criteria == [
        {"type": "gmv_between", "params": {"min": "5"}}
    ]


@pytest.mark.django_db
def test_a_draft_stored_out_of_bounds_shows_why_instead_of_failing(console_client):
    draft = RuleSetFactory(criteria=[SMB] * 1000)

    page = console_client.get(admin_url(RuleSet, "change", draft.pk))
    assert page.status_code == 200
    assert "simulation" not in page.context
    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        "A rule set holds at most 50 criteria, not 1000."
    ]

    confirm = console_client.get(admin_url(RuleSet, "publish", draft.pk))
    assert confirm.status_code == 302
    published = console_client.post(admin_url(RuleSet, "publish", draft.pk))
    assert published.status_code == 302
    draft.refresh_from_db()
    assert draft.status == RuleSetStatus.DRAFT


@pytest.mark.django_db
def test_the_console_bounds_the_override_reason_and_decision_reasons():
    enrollment = EnrollmentFactory()
    too_long = {"eligibility_override_reason": "x" * 2001}
    assert not EnrollmentForm(data=too_long, instance=enrollment).is_valid()
    assert not EnrollmentForm(
        data={"eligibility_override_reason": "a\x00b"}, instance=enrollment
    ).is_valid()
    assert EnrollmentForm(data={"eligibility_override_reason": "x" * 2000}).is_valid()
    assert not DecisionForm(data={"reason": "x" * 2001}).is_valid()
    assert not DecisionForm(data={"reason": ""}, reason_required=True).is_valid()


@pytest.mark.django_db
def test_the_program_form_bounds_the_description():
    data = {"name": "Blue Star", "code": "blue-star", "name_zh": "", "is_active": True}
    assert ProgramForm(data={**data, "description": "x" * 5000}).is_valid()
    form = ProgramForm(data={**data, "description": "x" * 5001})
    assert not form.is_valid()
    assert "description" in form.errors
