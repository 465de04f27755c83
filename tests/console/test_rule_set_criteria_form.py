"""A rule set's criteria edited as a form: one row per criterion, its type from the registry,
its parameters as fields with their validation, saved through the rule-set services; and a
published rule set's criteria read as sentences, in English and Chinese."""

from unittest import mock

import pytest
from django.conf import settings
from django.utils import translation

from programs.admin import rule_sets as rule_set_admin
from programs.criteria import CRITERIA, MAX_CRITERIA, criteria_validate
from programs.models import RuleSet
from tests.belts.factories import CategoryFactory
from tests.programs.factories import ProgramFactory, PublishedRuleSetFactory, RuleSetFactory

from .base import admin_url
from .criteria_rows import criteria_rows

pytestmark = pytest.mark.django_db


def _row_errors(response) -> list[dict]:
    return [dict(form.errors) for form in response.context["criteria_formset"].forms]


def test_the_add_page_offers_every_registered_type(console_client):
    response = console_client.get(admin_url(RuleSet, "add"))
    assert response.status_code == 200
    formset = response.context["criteria_formset"]
    choices = {value for value, _label in formset.empty_form.fields["type"].choices if value}
    assert choices == set(CRITERIA)
    html = response.content.decode()
    assert 'id="criteria-empty-row"' in html
    assert "criteria_form.js" in html
    # The JSON box is gone.
    assert 'name="criteria"' not in html


def test_a_valid_form_saves_the_criteria_the_service_expects(console_client, superuser):
    program = ProgramFactory()
    category = CategoryFactory(slug="furniture")
    rows = criteria_rows(
        ("gmv_between", {"min": "1000000", "max": ""}),
        ("yoy_growth_at_least", {"min": "20"}),
        ("refund_rate_at_most", {"max": "4.5"}),
        ("live_sessions_at_least", {"min": "8"}),
        ("store_age_at_most", {"months": "24"}),
        ("belt_tier_in", {"tiers": ["growth", "ten_billion"]}),
        ("category_in", {"categories": [category.slug]}),
        ("smb", {"value": "yes"}),
    )
    with mock.patch.object(
        rule_set_admin, "rule_set_create_draft", wraps=rule_set_admin.rule_set_create_draft
    ) as create:
        response = console_client.post(
            admin_url(RuleSet, "add"), {"program": program.pk, **rows, "notes": "form"}
        )
    assert response.status_code == 302, _row_errors(response)
    create.assert_called_once()
    saved = RuleSet.objects.get(program=program)
    expected = [
        {"type": "gmv_between", "params": {"min": "1000000", "max": None}},
        {"type": "yoy_growth_at_least", "params": {"min": "0.2"}},
        {"type": "refund_rate_at_most", "params": {"max": "0.045"}},
        {"type": "live_sessions_at_least", "params": {"min": 8, "days": 90}},
        {"type": "store_age_at_most", "params": {"months": 24}},
        {"type": "belt_tier_in", "params": {"tiers": ["growth", "ten_billion"]}},
        {"type": "category_in", "params": {"categories": ["furniture"]}},
        {"type": "smb", "params": {"value": True}},
    ]
    assert saved.criteria == expected
    assert create.call_args.kwargs["criteria"] == expected
    # What the services validate, as they store it: the same list reads back unchanged.
    assert [criterion.as_json() for criterion in criteria_validate(saved.criteria)] == expected
    assert saved.created_by == superuser


def test_a_draft_shows_its_criteria_in_the_rows_and_a_removed_row_goes(console_client):
    draft = RuleSetFactory(
        criteria=[
            {"type": "yoy_growth_at_least", "params": {"min": "0.2"}},
            {"type": "smb", "params": {"value": True}},
        ]
    )
    page = console_client.get(admin_url(RuleSet, "change", draft.pk))
    first, second = page.context["criteria_formset"].forms
    assert first["type"].value() == "yoy_growth_at_least"
    # A ratio is shown as the percentage it is.
    assert str(first["yoy_growth_at_least__min"].value()) == "20"
    assert second["smb__value"].value() == "yes"

    rows = criteria_rows(("yoy_growth_at_least", {"min": "30"}), ("smb", {"value": "yes"}))
    rows["criteria-1-DELETE"] = "on"
    response = console_client.post(
        admin_url(RuleSet, "change", draft.pk), {**rows, "notes": "growth only"}
    )
    assert response.status_code == 302, _row_errors(response)
    draft.refresh_from_db()
    assert draft.criteria == [{"type": "yoy_growth_at_least", "params": {"min": "0.3"}}]


def test_a_typo_is_refused_on_its_field_in_words(console_client):
    draft = RuleSetFactory()
    before = draft.criteria
    rows = criteria_rows(
        ("smb", {"value": "yes"}),
        ("yoy_growth_at_least", {"min": "2O"}),
        ("store_age_at_most", {"months": "2.5"}),
    )
    response = console_client.post(admin_url(RuleSet, "change", draft.pk), {**rows, "notes": ""})
    assert response.status_code == 200
    errors = _row_errors(response)
    assert errors[0] == {}
    assert errors[1] == {"yoy_growth_at_least__min": ["Enter a number."]}
    assert errors[2] == {"store_age_at_most__months": ["Enter a whole number."]}
    html = response.content.decode()
    assert "Enter a number." in html
    assert "Enter a valid JSON." not in html
    assert "Some criteria need correcting" in html
    draft.refresh_from_db()
    assert draft.criteria == before


def test_the_registrys_rules_are_said_on_the_field(console_client):
    draft = RuleSetFactory()
    rows = criteria_rows(
        ("refund_rate_at_most", {"max": "150"}),
        ("gmv_between", {"min": "5000000", "max": "1000000"}),
        ("gmv_between", {}),
        ("yoy_growth_at_least", {}),
        ("belt_tier_in", {}),
    )
    response = console_client.post(admin_url(RuleSet, "change", draft.pk), {**rows, "notes": ""})
    errors = _row_errors(response)
    # The form field's bounds are the registry's: a rate is at most 100 %.
    assert errors[0] == {
        "refund_rate_at_most__max": ["Ensure this value is less than or equal to 100."]
    }
    # The criterion's own checks, on the field they are about.
    assert errors[1] == {"gmv_between__min": ["gmv_between: “min” must not exceed “max”."]}
    assert errors[2] == {"gmv_between__min": ["gmv_between: give a “min”, a “max” or both."]}
    assert errors[3] == {
        "yoy_growth_at_least__min": ["yoy_growth_at_least: the parameter “min” is required."]
    }
    assert errors[4] == {
        "belt_tier_in__tiers": ["belt_tier_in: “tiers” must be a non-empty list of codes."]
    }


def test_an_unknown_type_is_refused(console_client):
    draft = RuleSetFactory()
    before = draft.criteria
    rows = criteria_rows(("gmv_between_typo", {"min": "1"}))
    response = console_client.post(admin_url(RuleSet, "change", draft.pk), {**rows, "notes": ""})
    assert response.status_code == 200
    (errors,) = _row_errors(response)
    assert errors["type"] == [
        "Select a valid choice. gmv_between_typo is not one of the available choices."
    ]
    draft.refresh_from_db()
    assert draft.criteria == before


def test_an_unknown_category_is_refused_on_its_row(console_client):
    CategoryFactory(slug="furniture")
    draft = RuleSetFactory()
    rows = criteria_rows(("category_in", {"categories": ["luggage"]}))
    response = console_client.post(admin_url(RuleSet, "change", draft.pk), {**rows, "notes": ""})
    (errors,) = _row_errors(response)
    assert "category_in__categories" in errors


def test_the_bound_on_the_number_of_criteria_is_enforced(console_client):
    draft = RuleSetFactory()
    before = draft.criteria
    too_many = criteria_rows(*[("smb", {"value": "yes"})] * (MAX_CRITERIA + 1))
    response = console_client.post(
        admin_url(RuleSet, "change", draft.pk), {**too_many, "notes": ""}
    )
    assert response.status_code == 200
    assert response.context["criteria_formset"].non_form_errors() == [
        f"A rule set holds at most {MAX_CRITERIA} criteria, not {MAX_CRITERIA + 1}."
    ]
    draft.refresh_from_db()
    assert draft.criteria == before

    enough = criteria_rows(*[("smb", {"value": "yes"})] * MAX_CRITERIA)
    response = console_client.post(admin_url(RuleSet, "change", draft.pk), {**enough, "notes": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert len(draft.criteria) == MAX_CRITERIA


# Sentences on a published rule set ---------------------------------------------------------------
READABLE = [
    {"type": "gmv_between", "params": {"min": "1000000", "max": "50000000"}},
    {"type": "yoy_growth_at_least", "params": {"min": "0.2"}},
    {"type": "refund_rate_at_most", "params": {"max": "0.0471"}},
    {"type": "belt_tier_in", "params": {"tiers": ["growth", "ten_billion"]}},
    {"type": "store_age_at_least", "params": {"months": 6}},
]


def _criteria_cell(response) -> str:
    html = response.content.decode()
    return html.split('class="criteria-sentences"')[1].split("</ol>")[0]


def test_a_published_rule_set_reads_as_sentences(console_client):
    published = PublishedRuleSetFactory(criteria=READABLE)
    response = console_client.get(admin_url(RuleSet, "change", published.pk))
    assert response.status_code == 200
    cell = _criteria_cell(response)
    assert "<li>Trailing 12-month GMV between CNY 1 M and CNY 50 M</li>" in cell
    assert "<li>Year-on-year GMV growth of at least 20.0%</li>" in cell
    assert "<li>An average refund rate of at most 4.7%</li>" in cell
    assert "<li>Belt tier is one of: Growth belt, Ten-billion belt</li>" in cell
    assert "<li>The store is at least 6 months old</li>" in cell
    assert "gmv_between" not in response.content.decode()
    assert "criteria_formset" not in response.context


def test_a_published_rule_set_reads_as_sentences_in_chinese(console_client):
    published = PublishedRuleSetFactory(criteria=READABLE)
    console_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = console_client.get(admin_url(RuleSet, "change", published.pk))
    cell = _criteria_cell(response)
    with translation.override("zh-hans"):
        expected = [criterion.sentence() for criterion in criteria_validate(READABLE)]
    for sentence in expected:
        assert f"<li>{sentence}</li>" in cell
    # Amounts in 万, tiers by their Chinese names, whatever the sentence's own wording.
    assert "¥100万" in cell
    assert "¥5,000万" in cell
    assert "成长产业带" in cell
    assert "百亿产业带" in cell
    assert "CNY" not in cell


def test_a_draft_over_the_bound_shows_every_row_and_deleting_some_keeps_the_rest(console_client):
    stored = [
        {"type": "store_age_at_least", "params": {"months": months}}
        for months in range(1, MAX_CRITERIA + 11)
    ]
    draft = RuleSetFactory()
    RuleSet.objects.filter(pk=draft.pk).update(criteria=stored)  # stored before the bound
    response = console_client.get(admin_url(RuleSet, "change", draft.pk))
    assert len(response.context["criteria_formset"].forms) == MAX_CRITERIA + 10

    # The reviewer deletes the first ten rows: the fifty after them are what is saved.
    rows = criteria_rows(
        *[("store_age_at_least", {"months": str(c["params"]["months"])}) for c in stored]
    )
    rows.update({f"criteria-{index}-DELETE": "on" for index in range(10)})
    response = console_client.post(admin_url(RuleSet, "change", draft.pk), {**rows, "notes": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.criteria == stored[10:]
