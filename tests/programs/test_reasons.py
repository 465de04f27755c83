"""The workflow's notes as codes, rendered per language; people named, never by their login; the
migration that turned the old English notes into codes."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from core.people import person_display
from programs.models import EnrollmentEvent
from programs.reasons import ReasonCode, event_reason_text, reason_note
from tests.belts.factories import StaffUserFactory, UserFactory
from tests.programs.factories import CohortFactory, EnrollmentEventFactory, EnrollmentFactory

migration = importlib.import_module("programs.migrations.0009_enrollment_event_reason_codes")


def test_every_code_reads_in_both_languages():
    for code in ReasonCode:
        with translation.override("en"):
            english = reason_note(code)
        with translation.override("zh-hans"):
            chinese = reason_note(code)
        assert english, code
        assert chinese, code
        assert english != chinese, f"{code} has no Chinese"


def test_a_note_with_its_parameters_says_more_and_falls_back_without_them():
    code = ReasonCode.NO_SEAT_WAITLISTED
    with translation.override("en"):
        assert reason_note(code, {"seats": 12}) == "All 12 seats are taken: waitlisted."
        assert reason_note(code, {}) == "No seat left: waitlisted."
        assert reason_note(code, {"other": 1}) == "No seat left: waitlisted."
    with translation.override("zh-hans"):
        assert reason_note(code, {"seats": 12}) == "12 个名额均已占满，列入候补。"  # noqa: RUF001


def test_an_unknown_code_is_shown_as_it_is_and_no_code_is_no_note():
    assert reason_note("from_a_newer_release") == "from_a_newer_release"
    assert reason_note("") == ""


def test_the_text_of_an_event_is_the_note_then_what_a_person_typed():
    promoted = ReasonCode.PROMOTED
    with translation.override("en"):
        assert event_reason_text(code=promoted, params={}, reason="") == (
            "Promoted from the waitlist: a seat became free."
        )
        assert event_reason_text(code="", params={}, reason="Strong plan") == "Strong plan"
        assert event_reason_text(code=promoted, params={}, reason="Well done") == (
            "Promoted from the waitlist: a seat became free. Well done"
        )
    with translation.override("zh-hans"):
        assert event_reason_text(code=promoted, params={}, reason="好") == (
            "有名额空出，已从候补转为录取。好"  # noqa: RUF001
        )


@pytest.mark.django_db
def test_an_event_renders_its_reason_in_the_active_language():
    event = EnrollmentEventFactory(reason_code=ReasonCode.WINDOW_CLOSED, reason="")
    with translation.override("zh-hans"):
        assert event.reason_text == "报名草稿提交前报名窗口已关闭。"
        assert str(event).endswith("草稿 → 已提交")


# People ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_people_are_named_by_their_full_name_or_their_role_never_their_login():
    named = StaffUserFactory(username="li.wei", first_name="伟", last_name="李")
    staff = StaffUserFactory(username="reviewer-7")
    merchant_user = UserFactory(username="shop-owner")

    with translation.override("zh-hans"):
        assert person_display(named) == "伟 李"
        assert person_display(staff) == "运营中心工作人员"
        assert person_display(merchant_user) == "商家用户"
        assert person_display(None) == "系统"
    with translation.override("en"):
        assert person_display(None) == "System"
        assert "reviewer-7" not in person_display(staff)


# The data migration ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_old_english_notes_become_codes_and_come_back():
    cohort = CohortFactory(seats=8)
    enrollment = EnrollmentFactory(cohort=cohort)
    rows = {
        "no_seat": "no seat left: waitlisted",
        "no_seat_with_words": "no seat left: waitlisted; strong, but late",
        "promoted": "promoted from the waitlist: a seat became free",
        "expired": "the application window closed before the draft was submitted",
        "proposed": "graduation proposed",
        "demo": "Application started.",
        "typed": "Refund rate too high.",
    }
    events = {
        key: EnrollmentEventFactory(enrollment=enrollment, reason=text)
        for key, text in rows.items()
    }

    migration.forward(apps, None)

    def state(key):
        event = EnrollmentEvent.objects.get(pk=events[key].pk)
        return event.reason_code, event.reason_params, event.reason

    assert state("no_seat") == ("no_seat_waitlisted", {"seats": 8}, "")
    assert state("no_seat_with_words") == ("no_seat_waitlisted", {"seats": 8}, "strong, but late")
    assert state("promoted") == ("promoted", {}, "")
    assert state("expired") == ("window_closed", {}, "")
    assert state("proposed") == ("graduation_proposed", {}, "")
    assert state("demo") == ("application_started", {}, "")
    assert state("typed") == ("", {}, "Refund rate too high.")  # a person's words stay
    with translation.override("zh-hans"):
        assert EnrollmentEvent.objects.get(pk=events["no_seat_with_words"].pk).reason_text == (
            "8 个名额均已占满，列入候补。strong, but late"  # noqa: RUF001
        )

    migration.backward(apps, None)

    restored = dict(EnrollmentEvent.objects.values_list("pk", "reason"))
    assert {key: restored[event.pk] for key, event in events.items()} == rows
    assert not EnrollmentEvent.objects.exclude(reason_code="").exists()
