"""The rule-set workflow in the console: a draft's simulation, publishing behind a confirmation,
new drafts from any version, and the reasons of an eligibility in words."""

import datetime
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from merchants.facts import merchant_facts_get
from programs.admin import rule_sets as rule_set_admin
from programs.choices import RuleSetStatus
from programs.criteria import criteria_from_json, evaluate_all, explain
from programs.models import Eligibility, RuleSet
from programs.services import eligibility as eligibility_service
from programs.services.eligibility import rule_set_simulate, rule_set_update_draft
from tests.belts.factories import IndustrialBeltFactory, StaffUserFactory
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import (
    EligibilityFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
    RuleSetFactory,
)
from tests.utils.queries import format_queries

from .base import admin_url
from .criteria_rows import criteria_rows

pytestmark = pytest.mark.django_db

SMB_ONLY = [{"type": "smb", "params": {"value": True}}]
ANYONE: list = []


def _publish_url(rule_set):
    return reverse("admin:programs_ruleset_publish", args=[rule_set.pk])


def _new_draft_url(rule_set):
    return reverse("admin:programs_ruleset_new_draft", args=[rule_set.pk])


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def published():
    """v1 of a program, published: it admits everyone."""
    return PublishedRuleSetFactory(program=ProgramFactory(), version=1, criteria=ANYONE)


@pytest.fixture
def draft(published):
    """v2 of the same program, a draft that admits small and medium businesses only."""
    return RuleSetFactory(program=published.program, version=2, criteria=SMB_ONLY)


def _population(published, *, gain=0, lose=0, keep=0, neither=0):
    """Merchants the SMB-only draft would move, against the eligibility recorded under v1:
    ``gain`` SMBs not eligible now, ``lose`` larger firms eligible now, ``keep`` SMBs eligible
    now, ``neither`` larger firms not eligible now."""
    belt = IndustrialBeltFactory()
    MerchantFactory.create_batch(gain, belt=belt, is_smb=True)
    MerchantFactory.create_batch(neither, belt=belt, is_smb=False)
    for is_smb, count in ((False, lose), (True, keep)):
        for merchant in MerchantFactory.create_batch(count, belt=belt, is_smb=is_smb):
            EligibilityFactory(merchant=merchant, rule_set=published, is_eligible=True)


class TestDraftPage:
    def test_shows_the_simulation_counts(self, console_client, published, draft):
        _population(published, gain=3, lose=2, keep=4, neither=1)
        expected = rule_set_simulate(rule_set=draft)
        assert expected.counts == {"evaluated": 10, "gain": 3, "lose": 2, "keep": 4}

        with mock.patch.object(
            eligibility_service, "_simulate_all", wraps=eligibility_service._simulate_all
        ) as simulate:
            response = console_client.get(admin_url(RuleSet, "change", draft.pk))

        assert response.status_code == 200
        simulate.assert_called_once()  # once per request, however many parts of the page use it
        simulation = response.context["simulation"]
        assert simulation.counts == expected.counts
        lists = {item.key: item for item in response.context["simulation_lists"]}
        assert [m.pk for m in lists["gain"].merchants] == expected.gained
        assert [m.pk for m in lists["lose"].merchants] == expected.lost
        assert [m.pk for m in lists["keep"].merchants] == expected.kept
        content = response.content.decode()
        assert "3 merchants would gain eligibility, 2 would lose it, 4 would keep it." in content
        merchant = lists["lose"].merchants[0]
        assert admin_url(merchant._meta.model, "change", merchant.pk) in content
        assert f'href="{_publish_url(draft)}"' in content
        assert f'action="{_new_draft_url(draft)}"' in content

    def test_the_next_page_and_the_confirmation_do_not_simulate_again(
        self, console_client, published, draft
    ):
        _population(published, gain=55, keep=2)
        url = admin_url(RuleSet, "change", draft.pk)
        with mock.patch.object(
            eligibility_service, "_simulate_all", wraps=eligibility_service._simulate_all
        ) as simulate:
            console_client.get(url)
            console_client.get(f"{url}?gain_page=2")
            response = console_client.get(_publish_url(draft))
        simulate.assert_called_once()  # every merchant evaluated once for the draft's version
        assert response.context["simulation"].counts["gain"] == 55

    def test_an_edit_simulates_afresh(self, console_client, published, draft):
        _population(published, gain=3, keep=2)
        url = admin_url(RuleSet, "change", draft.pk)
        assert console_client.get(url).context["simulation"].counts["gain"] == 3

        rule_set_update_draft(rule_set=draft, criteria=ANYONE)
        with mock.patch.object(
            eligibility_service, "_simulate_all", wraps=eligibility_service._simulate_all
        ) as simulate:
            response = console_client.get(url)
        simulate.assert_called_once()
        assert response.context["simulation"].counts == {
            "evaluated": 5,
            "gain": 3,
            "lose": 0,
            "keep": 2,
        }

    def test_lists_are_paged_each_on_its_own(self, console_client, published, draft):
        _population(published, gain=55, keep=2)
        expected = rule_set_simulate(rule_set=draft)
        url = admin_url(RuleSet, "change", draft.pk)

        response = console_client.get(url)
        lists = {item.key: item for item in response.context["simulation_lists"]}
        assert [m.pk for m in lists["gain"].merchants] == expected.gained[:50]
        assert lists["gain"].count == 55
        assert "gain_page=2" in response.content.decode()
        assert lists["keep"].links == []  # one page: no links

        response = console_client.get(url, {"gain_page": 2, "keep_page": 1})
        lists = {item.key: item for item in response.context["simulation_lists"]}
        assert [m.pk for m in lists["gain"].merchants] == expected.gained[50:]
        assert [m.pk for m in lists["keep"].merchants] == expected.kept
        # The link back to page 1 keeps the other list's page.
        (first,) = [link for link in lists["gain"].links if link.label == "1"]
        assert "gain_page=1" in first.url
        assert "keep_page=1" in first.url

        response = console_client.get(url, {"gain_page": "not-a-page"})
        assert response.status_code == 200
        lists = {item.key: item for item in response.context["simulation_lists"]}
        assert lists["gain"].page.number == 1

    def test_query_count_does_not_grow_with_the_merchants_listed(
        self, console_client, published, draft
    ):
        url = admin_url(RuleSet, "change", draft.pk)
        console_client.get(url)  # warm up caches that only the first request fills
        cache.clear()  # but not the simulation of no merchant

        _population(published, gain=3, lose=3, keep=3)
        with CaptureQueriesContext(connection) as simulating:
            rule_set_simulate(rule_set=draft)
        with CaptureQueriesContext(connection) as few:
            response = console_client.get(url)
        assert response.context["simulation"].counts["evaluated"] == 9

        _population(published, gain=27, lose=27, keep=27)
        cache.clear()  # the simulation of 9 merchants is cached: count the queries of 90
        with CaptureQueriesContext(connection) as many:
            response = console_client.get(url)
        assert response.context["simulation"].counts["evaluated"] == 90
        assert all(len(item.merchants) == 30 for item in response.context["simulation_lists"])

        assert len(few) == len(many), (
            f"{len(few)} queries with 3 merchants a list, {len(many)} with 30.\n"
            f"With 3:\n{format_queries(few)}\n\nWith 30:\n{format_queries(many)}"
        )
        # Session and user, the rule set with its program and author, the simulation (its
        # queries are the service's business: they differ by database), the merchants of the
        # three pages with their belts, in one query; the categories the criteria form offers.
        assert len(many) == 2 + 1 + len(simulating) + 1 + 1, format_queries(many)

    def test_a_typo_in_a_parameter_is_refused_in_words(self, console_client, draft):
        response = console_client.post(
            admin_url(RuleSet, "change", draft.pk),
            {**criteria_rows(("gmv_between", {"min": "1O0000"})), "notes": "typo"},
        )
        assert response.status_code == 200
        formset = response.context["criteria_formset"]
        assert formset.forms[0].errors["gmv_between__min"] == ["Enter a number."]
        draft.refresh_from_db()
        assert (draft.criteria, draft.notes) == (SMB_ONLY, "")

    def test_an_unreadable_criterion_is_named(self, console_client, draft):
        rows = criteria_rows(("smb", {"value": "yes"}), ("gmv_between", {"min": "a lot"}))
        response = console_client.post(
            admin_url(RuleSet, "change", draft.pk), {**rows, "notes": "edited"}
        )
        assert response.status_code == 200
        first, second = response.context["criteria_formset"].forms
        assert not first.errors
        assert second.errors["gmv_between__min"] == ["Enter a number."]
        assert "simulation" not in response.context  # the page is about the error
        draft.refresh_from_db()
        assert (draft.criteria, draft.notes) == (SMB_ONLY, "")

    def test_a_valid_edit_goes_through_the_service(self, console_client, draft):
        criteria = [{"type": "refund_rate_at_most", "params": {"max": "0.05"}}]
        rows = criteria_rows(("refund_rate_at_most", {"max": "5"}))
        with mock.patch.object(
            rule_set_admin,
            "rule_set_update_draft",
            wraps=rule_set_admin.rule_set_update_draft,
        ) as update:
            response = console_client.post(
                admin_url(RuleSet, "change", draft.pk),
                {**rows, "notes": "tighter", "version": 99},
            )
        assert response.status_code == 302, response.context["adminform"].form.errors
        update.assert_called_once()
        draft.refresh_from_db()
        assert (draft.criteria, draft.notes, draft.version) == (criteria, "tighter", 2)

    def test_a_draft_published_meanwhile_is_left_alone(self, console_client):
        draft = RuleSetFactory(criteria=SMB_ONLY)
        url = admin_url(RuleSet, "change", draft.pk)

        def published_first(**kwargs):
            # Someone publishes the draft after the admin checked it, before the service's lock.
            RuleSet.objects.filter(pk=draft.pk).update(
                status=RuleSetStatus.PUBLISHED, published_at=timezone.now()
            )
            return rule_set_update_draft(**kwargs)

        with mock.patch.object(
            rule_set_admin, "rule_set_update_draft", side_effect=published_first
        ):
            response = console_client.post(url, {**criteria_rows(), "notes": "too late"})

        assert response.status_code == 302
        assert response["Location"] == url
        (message,) = _messages(response)
        assert "can no longer change" in message
        draft.refresh_from_db()
        assert (draft.criteria, draft.notes) == (SMB_ONLY, "")

    def test_a_new_draft_is_numbered_by_the_service(self, console_client, superuser, draft):
        response = console_client.post(
            admin_url(RuleSet, "add"),
            {"program": draft.program_id, "version": 1, **criteria_rows(), "notes": "fresh"},
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        created = RuleSet.objects.get(program=draft.program, version=3)
        assert (created.status, created.created_by, created.notes) == (
            RuleSetStatus.DRAFT,
            superuser,
            "fresh",
        )
        assert response["Location"] == admin_url(RuleSet, "changelist")


class TestFrozenRuleSetPage:
    @pytest.mark.parametrize("status", [RuleSetStatus.PUBLISHED, RuleSetStatus.RETIRED])
    def test_renders_read_only_without_simulation(self, console_client, status):
        rule_set = PublishedRuleSetFactory(
            status=status,
            retired_at=timezone.now() if status == RuleSetStatus.RETIRED else None,
        )
        with mock.patch.object(eligibility_service, "_simulate_all") as simulate:
            response = console_client.get(admin_url(RuleSet, "change", rule_set.pk))
        assert response.status_code == 200
        simulate.assert_not_called()
        content = response.content.decode()
        assert "Published rule sets never change; create a new draft." in content
        assert _publish_url(rule_set) not in content
        assert f'action="{_new_draft_url(rule_set)}"' in content

    def test_editing_by_post_is_refused(self, console_client, published):
        response = console_client.post(
            admin_url(RuleSet, "change", published.pk),
            {**criteria_rows(("smb", {"value": "yes"})), "notes": "sneaky"},
        )
        assert response.status_code == 403
        published.refresh_from_db()
        assert (published.criteria, published.notes) == (ANYONE, "")


class TestPublish:
    def test_confirmation_shows_the_counts_and_does_not_publish(
        self, console_client, published, draft
    ):
        _population(published, gain=3, lose=2, keep=4)
        expected = rule_set_simulate(rule_set=draft).counts

        response = console_client.get(_publish_url(draft))

        assert response.status_code == 200
        assert response.context["simulation"].counts == expected
        assert response.context["retiring"] == published
        content = response.content.decode()
        assert "3 merchants would gain eligibility, 2 would lose it, 4 would keep it." in content
        assert "Publishing retires v1" in content
        assert 'method="post"' in content
        draft.refresh_from_db()
        published.refresh_from_db()
        assert (draft.status, published.status) == (RuleSetStatus.DRAFT, RuleSetStatus.PUBLISHED)

    def test_post_publishes_at_once_and_queues_the_recompute(
        self, console_client, published, draft, django_capture_on_commit_callbacks
    ):
        _population(published, gain=3, lose=2, keep=4, neither=1)
        expected = rule_set_simulate(rule_set=draft)

        with (
            mock.patch.object(eligibility_service, "_simulate_all") as simulate,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = console_client.post(_publish_url(draft))

        simulate.assert_not_called()  # publishing does not simulate: the recompute is the record

        assert response.status_code == 302
        assert response["Location"] == admin_url(RuleSet, "change", draft.pk)
        draft.refresh_from_db()
        published.refresh_from_db()
        assert draft.status == RuleSetStatus.PUBLISHED
        assert draft.published_at is not None
        assert published.status == RuleSetStatus.RETIRED
        assert published.retired_at is not None
        (message,) = _messages(response)
        assert message == (f"{draft} is published and v1 retired. Eligibility is being recomputed.")
        # The recompute queued after the commit made the simulation the record.
        eligible = set(
            Eligibility.objects.filter(program=draft.program, is_eligible=True).values_list(
                "merchant_id", flat=True
            )
        )
        assert eligible == set(expected.gained) | set(expected.kept)

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_a_published_rule_set_is_refused(self, console_client, published, method):
        published_at = published.published_at
        response = getattr(console_client, method)(_publish_url(published))
        assert response.status_code == 302
        assert response["Location"] == admin_url(RuleSet, "change", published.pk)
        (message,) = _messages(response)
        assert "only a draft can be published" in message
        published.refresh_from_db()
        assert (published.status, published.published_at) == (
            RuleSetStatus.PUBLISHED,
            published_at,
        )

    def test_needs_the_change_permission(self, draft):
        viewer = StaffUserFactory()
        viewer.user_permissions.add(Permission.objects.get(codename="view_ruleset"))
        client = Client()
        client.force_login(viewer)

        page = client.get(admin_url(RuleSet, "change", draft.pk))
        assert page.status_code == 200
        assert _publish_url(draft) not in page.content.decode()
        assert client.get(_publish_url(draft)).status_code == 403
        assert client.post(_publish_url(draft)).status_code == 403
        assert client.post(_new_draft_url(draft)).status_code == 403
        draft.refresh_from_db()
        assert draft.status == RuleSetStatus.DRAFT
        assert RuleSet.objects.filter(program=draft.program).count() == 2


class TestNewDraftFrom:
    def test_copies_the_criteria_into_the_next_version(self, console_client, superuser, draft):
        published = RuleSet.objects.get(program=draft.program, version=1)
        published.criteria = [{"type": "store_age_at_most", "params": {"months": 24}}]
        published.save(update_fields=["criteria"])

        response = console_client.post(_new_draft_url(published))

        new = RuleSet.objects.get(program=draft.program, version=3)
        assert response.status_code == 302
        assert response["Location"] == admin_url(RuleSet, "change", new.pk)
        assert new.status == RuleSetStatus.DRAFT
        assert new.criteria == published.criteria
        assert new.notes == "Based on v1"
        assert new.created_by == superuser
        published.refresh_from_db()
        assert published.status == RuleSetStatus.PUBLISHED

    def test_a_get_creates_nothing(self, console_client, draft):
        assert console_client.get(_new_draft_url(draft)).status_code == 405
        assert RuleSet.objects.filter(program=draft.program).count() == 2


class TestEligibilityReasons:
    def test_each_reason_is_explained_in_a_table(self, console_client):
        merchant = MerchantFactory(is_smb=False, opened_on=datetime.date(2015, 1, 1))
        criteria = criteria_from_json(
            [
                {"type": "smb", "params": {"value": True}},
                {"type": "store_age_at_least", "params": {"months": 12}},
            ]
        )
        facts = merchant_facts_get(merchant_id=merchant.pk, as_of=timezone.localdate())
        eligible, reasons = evaluate_all(criteria, facts)
        eligibility = EligibilityFactory(
            merchant=merchant,
            rule_set__criteria=[criterion.as_json() for criterion in criteria],
            is_eligible=eligible,
            actuals=[c.actual_json(r.actual) for c, r in zip(criteria, reasons, strict=True)],
        )

        response = console_client.get(admin_url(Eligibility, "change", eligibility.pk))

        assert response.status_code == 200
        content = response.content.decode()
        assert "<th>explanation</th>" in content
        for reason in reasons:
            assert explain(reason) in content
        assert "Small or medium business" in content
        assert "failed" in content
        assert "passed" in content
