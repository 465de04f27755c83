import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from programs.choices import RuleSetStatus
from tests.programs.factories import ProgramFactory, PublishedRuleSetFactory, RuleSetFactory

from .base import AUTH_QUERIES, ReadOnlyAPITests


class ProgramWithRuleSetsFactory(ProgramFactory):
    """A program with a published rule set (v1) and a newer draft (v2) that must not show."""

    class Meta:
        skip_postgeneration_save = True

    published = factory.RelatedFactory(
        PublishedRuleSetFactory, factory_related_name="program", version=1
    )
    draft = factory.RelatedFactory(RuleSetFactory, factory_related_name="program", version=2)


class TestProgramAPI(ReadOnlyAPITests):
    url_name = "api:program"
    factory = ProgramWithRuleSetsFactory
    list_query_count = AUTH_QUERIES + 2 + 1  # count, page, published rule sets


@pytest.mark.django_db
class TestPublishedRuleSet:
    def test_shows_the_published_version_and_its_criteria(self, user_api_client):
        program = ProgramFactory(code="source-power")
        RuleSetFactory(
            program=program,
            version=1,
            status=RuleSetStatus.RETIRED,
            published_at=timezone.now(),
            retired_at=timezone.now(),
        )
        PublishedRuleSetFactory(
            program=program,
            version=2,
            criteria=[
                {"type": "belt_tier_in", "params": {"tiers": ["ten_billion", "growth"]}},
                {"type": "live_sessions_at_least", "params": {"sessions": 8}},
            ],
        )
        RuleSetFactory(program=program, version=3)

        response = user_api_client.get(reverse("api:program-detail", args=[program.pk]))

        assert response.status_code == 200
        rule_set = response.data["published_rule_set"]
        assert rule_set["version"] == 2
        assert rule_set["criteria"] == [
            {"type": "belt_tier_in", "params": {"tiers": ["ten_billion", "growth"]}},
            {"type": "live_sessions_at_least", "params": {"sessions": 8}},
        ]

    def test_is_null_while_nothing_is_published(self, user_api_client):
        program = ProgramFactory()
        RuleSetFactory(program=program)

        response = user_api_client.get(reverse("api:program-detail", args=[program.pk]))

        assert response.data["published_rule_set"] is None

    def test_filter_by_code(self, user_api_client):
        star_origin = ProgramFactory(code="star-origin")
        ProgramFactory(code="blue-star")

        response = user_api_client.get(reverse("api:program-list"), {"code": "star-origin"})

        assert [row["id"] for row in response.data["results"]] == [star_origin.pk]
