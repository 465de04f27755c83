"""Rule sets through the API: drafts are created and edited through the services, published and
retired ones refuse change with 409, bad criteria are a 400 that writes nothing, a simulation
writes nothing and predicts what publishing then does."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.choices import RuleSetStatus
from programs.models import Eligibility, RuleSet
from programs.services import eligibility as eligibility_service
from programs.services.eligibility import eligibility_recompute, rule_set_update_draft
from tests.belts.factories import (
    CategoryFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
)
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import ProgramFactory, PublishedRuleSetFactory, RuleSetFactory
from tests.utils.months import add_trailing_gmv
from tests.utils.queries import writes

from .base import (
    AUTH_QUERIES,
    LIST,
    CreateObjectTests,
    DeleteObjectTests,
    GetObjectTests,
    ListObjectsTests,
    UpdateObjectTests,
    client_with_permissions,
    error_fields,
)

GMV_AT_LEAST_1M = [{"type": "gmv_between", "params": {"min": "1000000"}}]


class TestRuleSetAPI(
    GetObjectTests, ListObjectsTests, CreateObjectTests, UpdateObjectTests, DeleteObjectTests
):
    url_name = "api:rule-set"
    factory = RuleSetFactory  # drafts
    staff_only = True
    list_query_count = AUTH_QUERIES + LIST  # program and author are joined

    def create_data(self):
        return {
            "program": ProgramFactory().pk,
            "criteria": [{"type": "live_sessions_at_least", "params": {"min": 8}}],
            "notes": "Spring intake",
        }

    def check_created(self, obj, data):
        assert obj.status == RuleSetStatus.DRAFT
        assert obj.program_id == data["program"]
        assert obj.criteria == data["criteria"]
        assert obj.notes == "Spring intake"
        assert obj.version == 1
        assert obj.created_by is not None

    def update_data(self):
        return {"criteria": [{"type": "smb", "params": {"value": False}}], "notes": "Revised"}


def detail_url(rule_set) -> str:
    return reverse("api:rule-set-detail", args=[rule_set.pk])


def action_url(rule_set, name: str) -> str:
    return reverse(f"api:rule-set-{name}", args=[rule_set.pk])


@pytest.fixture
def editor():
    """A staff member who may add, change and delete rule sets."""
    return client_with_permissions(RuleSet, "add", "change", "delete")


@pytest.mark.django_db
class TestDrafts:
    def test_versions_follow_the_programs_latest(self, editor):
        program = ProgramFactory()
        PublishedRuleSetFactory(program=program, version=3)

        response = editor.post(
            reverse("api:rule-set-list"),
            {"program": program.pk, "criteria": GMV_AT_LEAST_1M},
            format="json",
        )

        assert response.status_code == 201
        assert response.data["version"] == 4
        assert response.data["status"] == "draft"
        assert response.data["program"]["code"] == program.code
        assert response.data["criteria"] == GMV_AT_LEAST_1M

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_a_draft_changes(self, editor, method):
        draft = RuleSetFactory(notes="old")
        criteria = [{"type": "smb", "params": {"value": True}}]

        response = getattr(editor, method)(
            detail_url(draft), {"criteria": criteria, "notes": "new"}, format="json"
        )

        assert response.status_code == 200, response.data
        draft.refresh_from_db()
        assert (draft.criteria, draft.notes) == (criteria, "new")
        assert response.data["criteria"] == criteria

    def test_patch_changes_only_what_it_sends(self, editor):
        draft = RuleSetFactory(notes="keep me", criteria=GMV_AT_LEAST_1M)

        response = editor.patch(detail_url(draft), {"notes": "changed"}, format="json")

        assert response.status_code == 200
        draft.refresh_from_db()
        assert (draft.criteria, draft.notes) == (GMV_AT_LEAST_1M, "changed")

    def test_filter_by_program_code_and_status(self, staff_api_client):
        program = ProgramFactory(code="blue-star")
        published = PublishedRuleSetFactory(program=program, version=1)
        draft = RuleSetFactory(program=program, version=2)
        RuleSetFactory()
        url = reverse("api:rule-set-list")

        by_program = staff_api_client.get(url, {"program": "blue-star"}).data["results"]
        assert [row["id"] for row in by_program] == [draft.pk, published.pk]  # newest first
        by_status = staff_api_client.get(url, {"program": "blue-star", "status": "published"})
        assert [row["id"] for row in by_status.data["results"]] == [published.pk]


@pytest.mark.django_db
class TestErrorShape:
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_editing_a_published_rule_set_is_a_409(self, editor, method):
        published = PublishedRuleSetFactory(criteria=GMV_AT_LEAST_1M, notes="v1")

        response = getattr(editor, method)(
            detail_url(published),
            {"criteria": [{"type": "smb", "params": {}}], "notes": "sneaky"},
            format="json",
        )

        assert response.status_code == 409
        assert set(response.data) == {"error"}
        error = response.data["error"]
        assert error["code"] == "immutable"
        assert error["field"] is None
        assert "can no longer change" in error["message"]
        published.refresh_from_db()
        assert (published.criteria, published.notes) == (GMV_AT_LEAST_1M, "v1")

    def test_a_retired_rule_set_is_a_409_too(self, editor):
        retired = RuleSetFactory(
            status=RuleSetStatus.RETIRED, published_at=timezone.now(), retired_at=timezone.now()
        )
        response = editor.patch(detail_url(retired), {"notes": "x"}, format="json")
        assert response.status_code == 409
        assert response.data["error"]["code"] == "immutable"

    def test_deleting_a_published_rule_set_is_refused(self, editor):
        published = PublishedRuleSetFactory()

        response = editor.delete(detail_url(published))

        assert response.status_code == 409
        assert response.data["error"]["code"] == "immutable"
        assert "Only a draft can be deleted" in response.data["error"]["message"]
        assert RuleSet.objects.filter(pk=published.pk).exists()

    @pytest.mark.parametrize(
        ("criteria", "says"),
        [
            ([{"type": "gold_medal", "params": {}}], "Unknown criterion type “gold_medal”"),
            (
                [{"type": "gmv_between", "params": {"min": "5000000", "max": "1000000"}}],
                "gmv_between: “min” must not exceed “max”.",
            ),
            ([{"type": "live_sessions_at_least", "params": {"min": "many"}}], "whole number"),
            ("gmv over a million", "Criteria must be a list."),
        ],
    )
    def test_bad_criteria_are_a_400_with_a_clear_message_and_nothing_is_written(
        self, editor, criteria, says
    ):
        program = ProgramFactory()

        response = editor.post(
            reverse("api:rule-set-list"),
            {"program": program.pk, "criteria": criteria},
            format="json",
        )

        assert response.status_code == 400
        assert response.data["error"]["code"] == "invalid"
        assert response.data["error"]["field"] == "criteria"
        assert says in response.data["error"]["message"]
        assert not RuleSet.objects.filter(program=program).exists()

    def test_bad_criteria_leave_a_draft_unchanged(self, editor):
        draft = RuleSetFactory(criteria=GMV_AT_LEAST_1M)

        response = editor.patch(
            detail_url(draft),
            {"criteria": [{"type": "smb", "params": {"value": "yes"}}]},
            format="json",
        )

        assert response.status_code == 400
        assert (
            response.data["error"]["message"] == "Criterion 1: smb: “value” must be true or false."
        )
        draft.refresh_from_db()
        assert draft.criteria == GMV_AT_LEAST_1M

    def test_drf_field_errors_come_in_the_same_shape(self, editor):
        response = editor.post(
            reverse("api:rule-set-list"), {"program": 2_000_000_000}, format="json"
        )

        assert response.status_code == 400
        assert error_fields(response) == {"program", "criteria"}
        assert response.data["error"]["code"] == "invalid"


@pytest.mark.django_db
class TestPublish:
    def test_publishing_retires_the_previous_version(self, editor):
        program = ProgramFactory()
        previous = PublishedRuleSetFactory(program=program, version=1)
        draft = RuleSetFactory(program=program, version=2)

        response = editor.post(action_url(draft, "publish"))

        assert response.status_code == 200, response.data
        assert response.data["id"] == draft.pk
        assert response.data["status"] == "published"
        assert response.data["published_at"]
        previous.refresh_from_db()
        draft.refresh_from_db()
        assert previous.status == RuleSetStatus.RETIRED
        assert previous.retired_at is not None
        assert draft.status == RuleSetStatus.PUBLISHED

    def test_publishing_twice_is_a_409(self, editor):
        published = PublishedRuleSetFactory()

        response = editor.post(action_url(published, "publish"))

        assert response.status_code == 409
        assert response.data["error"]["code"] == "immutable"

    def test_publishing_needs_the_change_permission(self):
        draft = RuleSetFactory()
        adder = client_with_permissions(RuleSet, "add", "view")

        response = adder.post(action_url(draft, "publish"))

        assert response.status_code == 403
        draft.refresh_from_db()
        assert draft.status == RuleSetStatus.DRAFT

    def test_non_staff_cannot_publish(self, user_api_client):
        draft = RuleSetFactory()
        assert user_api_client.post(action_url(draft, "publish")).status_code == 403


@pytest.mark.django_db
class TestSimulate:
    @pytest.fixture
    def program(self):
        """Version 1 (at least 1 M) in force and recorded for five merchants; version 2 (0.5 to
        1.5 M) drafted."""
        program = ProgramFactory(code="star-origin")
        PublishedRuleSetFactory(program=program, version=1, criteria=GMV_AT_LEAST_1M)
        # Monthly GMV; twelve times it is the trailing figure.
        self.merchants = {
            "loses": Decimal("150000"),  # 1.8 M: eligible now, above the new ceiling
            "keeps": Decimal("100000"),  # 1.2 M: eligible under both
            "gains": Decimal("50000"),  # 0.6 M: only under the new floor
            "gains too": Decimal("75000"),  # 0.9 M
            "never": Decimal("25000"),  # 0.3 M: under neither
        }
        for name, monthly in self.merchants.items():
            merchant = MerchantFactory(shop_name=name)
            add_trailing_gmv(merchant, monthly)
            self.merchants[name] = merchant
        eligibility_recompute(program_ids=[program.pk])
        return program

    @pytest.fixture
    def draft(self, program):
        return RuleSetFactory(
            program=program,
            version=2,
            criteria=[{"type": "gmv_between", "params": {"min": "500000", "max": "1500000"}}],
        )

    def names(self, rows):
        return [row["shop_name"] for row in rows]

    def test_counts_and_lists(self, superuser_api_client, draft):
        response = superuser_api_client.post(action_url(draft, "simulate"))

        assert response.status_code == 200, response.data
        data = response.data
        assert data["counts"] == {"evaluated": 5, "gain": 2, "lose": 1, "keep": 1}
        assert data["rule_set"] == {"id": draft.pk, "version": 2}
        assert data["program"]["code"] == "star-origin"
        assert self.names(data["gain"]) == ["gains", "gains too"]
        assert self.names(data["lose"]) == ["loses"]
        assert self.names(data["keep"]) == ["keeps"]
        assert (data["page"], data["page_size"], data["num_pages"]) == (1, 100, 1)
        assert data["as_of"] == timezone.localdate().isoformat()

    def test_the_lists_are_paged_together(self, superuser_api_client, draft):
        url = action_url(draft, "simulate")

        first = superuser_api_client.post(f"{url}?page=1&page_size=1").data
        second = superuser_api_client.post(f"{url}?page=2&page_size=1").data

        assert first["num_pages"] == second["num_pages"] == 2  # the two who gain
        assert self.names(first["gain"]) == ["gains"]
        assert self.names(second["gain"]) == ["gains too"]
        assert (self.names(second["lose"]), self.names(second["keep"])) == ([], [])
        assert second["counts"] == first["counts"]

    def test_the_next_page_does_not_simulate_again(self, superuser_api_client, draft):
        url = action_url(draft, "simulate")
        first = superuser_api_client.post(f"{url}?page=1&page_size=1")
        with mock.patch.object(
            eligibility_service, "_simulate_all", wraps=eligibility_service._simulate_all
        ) as simulate:
            second = superuser_api_client.post(f"{url}?page=2&page_size=1")
        simulate.assert_not_called()
        assert second.data["counts"] == first.data["counts"]

    def test_an_edit_of_the_criteria_simulates_afresh(self, superuser_api_client, draft):
        url = action_url(draft, "simulate")
        assert superuser_api_client.post(url).data["counts"]["gain"] == 2
        rule_set_update_draft(rule_set=draft, criteria=[])
        with mock.patch.object(
            eligibility_service, "_simulate_all", wraps=eligibility_service._simulate_all
        ) as simulate:
            counts = superuser_api_client.post(url).data["counts"]
        simulate.assert_called_once()
        assert counts["lose"] == 0  # everyone is admitted now

    def test_a_reviewer_sees_only_the_merchants_of_their_centers(self, api_client, draft):
        # Found from outside: simulating listed every center's merchants to a reviewer.
        center = OperationCenterFactory()
        center.belts.add(self.merchants["gains"].belt, self.merchants["loses"].belt)
        api_client.force_login(OperationCenterMembershipFactory(center=center).user)

        data = api_client.post(action_url(draft, "simulate")).data

        assert data["counts"] == {"evaluated": 2, "gain": 1, "lose": 1, "keep": 0}
        assert (self.names(data["gain"]), self.names(data["lose"])) == (["gains"], ["loses"])
        assert data["keep"] == []

        api_client.force_login(OperationCenterMembershipFactory().user)  # another center's
        data = api_client.post(action_url(draft, "simulate")).data
        assert data["counts"] == {"evaluated": 0, "gain": 0, "lose": 0, "keep": 0}

    @pytest.mark.parametrize(
        "query", ["page_size=501", "page_size=0", "page=0", "page=x", "page=100001"]
    )
    def test_bad_paging_is_a_400(self, superuser_api_client, draft, query):
        response = superuser_api_client.post(f"{action_url(draft, 'simulate')}?{query}")
        assert response.status_code == 400
        assert error_fields(response) & {"page", "page_size"}

    def test_simulating_writes_nothing_and_publishing_does_what_it_predicted(
        self, superuser_api_client, editor, program, draft
    ):
        recorded = list(Eligibility.objects.order_by("pk").values())

        # Not pinned: the simulation's query count grows with the chunks of merchants.
        with CaptureQueriesContext(connection) as queries:
            simulation = superuser_api_client.post(action_url(draft, "simulate")).data
        assert writes(queries) == []
        assert list(Eligibility.objects.order_by("pk").values()) == recorded

        assert editor.post(action_url(draft, "publish")).status_code == 200
        stats = eligibility_recompute(program_ids=[program.pk])

        counts = simulation["counts"]
        assert (stats.gained, stats.lost) == (counts["gain"], counts["lose"])
        eligible_now = set(
            Eligibility.objects.filter(program=program, is_eligible=True).values_list(
                "merchant__shop_name", flat=True
            )
        )
        assert eligible_now == set(self.names(simulation["gain"]) + self.names(simulation["keep"]))
        assert not eligible_now & set(self.names(simulation["lose"]))
        assert set(
            Eligibility.objects.filter(program=program).values_list("rule_set_id", flat=True)
        ) == {draft.pk}

    def test_publishing_recomputes_through_the_eager_task(
        self, editor, program, draft, django_capture_on_commit_callbacks
    ):
        # Tests run Celery eagerly: the recompute queued on commit runs in the request.
        with django_capture_on_commit_callbacks(execute=True):
            assert editor.post(action_url(draft, "publish")).status_code == 200

        eligible = Eligibility.objects.filter(program=program, is_eligible=True, rule_set=draft)
        assert sorted(eligible.values_list("merchant__shop_name", flat=True)) == [
            "gains",
            "gains too",
            "keeps",
        ]

    def test_simulating_needs_staff(self, user_api_client, draft):
        assert user_api_client.post(action_url(draft, "simulate")).status_code == 403

    def test_staff_without_model_permissions_may_simulate(self, api_client, draft):
        api_client.force_login(StaffUserFactory())
        assert api_client.post(action_url(draft, "simulate")).status_code == 200


@pytest.mark.django_db
class TestBounds:
    """Found from outside: a draft of 1,000 criteria was accepted, and publishing it answered
    500 yet left it published, stopping every later recompute; a NUL in params was a 500."""

    def create(self, editor, criteria, **extra):
        program = ProgramFactory()
        response = editor.post(
            reverse("api:rule-set-list"),
            {"program": program.pk, "criteria": criteria, **extra},
            format="json",
        )
        return program, response

    def test_a_thousand_criteria_are_a_400_and_nothing_is_stored(self, editor):
        program, response = self.create(editor, [{"type": "smb", "params": {}}] * 1000)

        assert response.status_code == 400
        assert response.data["error"] == {
            "code": "too_many_criteria",
            "message": "A rule set holds at most 50 criteria, not 1000.",
            "field": "criteria",
            "details": [],
        }
        assert not RuleSet.objects.filter(program=program).exists()

    def test_a_draft_cannot_grow_past_the_bound_either(self, editor):
        draft = RuleSetFactory(criteria=GMV_AT_LEAST_1M)

        response = editor.patch(
            detail_url(draft), {"criteria": [{"type": "smb", "params": {}}] * 51}, format="json"
        )

        assert response.status_code == 400
        assert response.data["error"]["code"] == "too_many_criteria"
        draft.refresh_from_db()
        assert draft.criteria == GMV_AT_LEAST_1M

    @pytest.mark.parametrize(
        ("criterion", "says"),
        [
            (
                {"type": "merchant_type_in", "params": {"types": ["oem\x00"]}},
                "Criterion 1: “types” cannot hold a NUL character",
            ),
            (
                {"type": "gmv_between", "params": {"min": "1", "minimum": "2"}},
                "Criterion 1: gmv_between: unknown parameter “minimum”",
            ),
            (
                {"type": "category_in", "params": {"categories": ["furniture", "unicorns"]}},
                "Criterion 1: category_in: unknown category slugs in “categories”: unicorns.",
            ),
            (
                {"type": "gmv_between", "params": {"min": "100000000000000"}},
                "Criterion 1: gmv_between: “min” must be at most 10000000000000.",
            ),
            (
                {"type": "store_age_at_least", "params": {"months": "12"}, "and": "more"},
                "Criterion 1: A criterion holds a “type” and its “params” only",
            ),
        ],
    )
    def test_a_criterion_out_of_bounds_is_a_400_naming_it(self, editor, criterion, says):
        CategoryFactory(slug="furniture")
        program, response = self.create(editor, [criterion])

        assert response.status_code == 400
        error = response.data["error"]
        if "\\x00" in repr(criterion):
            # A NUL never reaches the rules: the API's parser refuses it first.
            assert error["code"] == "parse_error"
        else:
            assert (error["code"], error["field"]) == ("invalid", "criteria")
            assert error["message"].startswith(says)
        assert not RuleSet.objects.filter(program=program).exists()

    @pytest.mark.parametrize("notes", ["a\x00b", "x" * 2001])
    def test_notes_are_bounded(self, editor, notes):
        program, response = self.create(editor, [], notes=notes)

        assert response.status_code == 400
        if "\x00" in notes:
            assert response.data["error"]["code"] == "parse_error"
        else:
            assert error_fields(response) == {"notes"}
        assert not RuleSet.objects.filter(program=program).exists()

    def test_a_publish_that_fails_leaves_the_draft_a_draft(
        self, editor, django_capture_on_commit_callbacks
    ):
        program = ProgramFactory()
        previous = PublishedRuleSetFactory(program=program, version=1, criteria=GMV_AT_LEAST_1M)
        # Stored before the bounds existed.
        draft = RuleSetFactory(
            program=program, version=2, criteria=[{"type": "smb", "params": {}}] * 1000
        )

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = editor.post(action_url(draft, "publish"))

        assert response.status_code == 400
        assert response.data["error"]["code"] == "too_many_criteria"
        assert callbacks == []
        draft.refresh_from_db()
        previous.refresh_from_db()
        assert (draft.status, draft.published_at) == (RuleSetStatus.DRAFT, None)
        assert previous.status == RuleSetStatus.PUBLISHED
