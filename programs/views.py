"""Portal pages of the programs app: thin callers of its selectors and of the merchants app's.

The eligibility page shows, for the selected merchant (one of the user's own), each active
program's recorded outcome with one line per criterion, closest first (``presenters.Closeness``),
with what the program offers, the merchant's facts today, and the program's cohorts open for
applications (or the merchant's open application to it). The
applications page lists the merchant's applications with their history. Applying and
withdrawing are POSTs that call the enrollment services; what those refuse becomes a message.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.language import localized_name
from merchants import selectors as merchant_selectors
from merchants.choices import MembershipRole
from merchants.facts import merchant_facts_get
from merchants.models import MerchantMembership

from . import selectors, workflow
from .choices import SEAT_HOLDING_STATES, EnrollmentState
from .exceptions import ProgramError
from .models import Cohort, Enrollment
from .presenters import merchant_fact_rows, program_standings, standing_summary
from .services.enrollments import (
    enrollment_apply,
    enrollment_roles,
    enrollment_withdraw,
)


def _memberships_and_selected(
    request: HttpRequest,
) -> tuple[list[MerchantMembership], MerchantMembership | None]:
    """The user's memberships and the one ``?merchant=`` asks for (default: the first); 404 for
    a merchant that is not one's own."""
    memberships = list(merchant_selectors.membership_list(user=request.user))
    try:
        selected = merchant_selectors.membership_choose(
            memberships, merchant_id=request.GET.get("merchant")
        )
    except MerchantMembership.DoesNotExist:
        raise Http404(_("No such merchant among yours.")) from None
    return memberships, selected


def _may_apply(membership: MerchantMembership) -> bool:
    # Owners and operators may start and submit their merchant's applications (the services
    # check it again); no query needed.
    return membership.role in (MembershipRole.OWNER, MembershipRole.OPERATOR)


def _with_merchant(url: str, merchant_id: int) -> str:
    return f"{url}?merchant={merchant_id}"


@require_safe
@login_required(login_url="portal:login")
def merchant_eligibility(request: HttpRequest) -> HttpResponse:
    memberships, selected = _memberships_and_selected(request)
    context: dict = {
        "memberships": memberships,
        "selected": selected,
        "merchant": selected.merchant if selected else None,
    }
    if selected:
        as_of: datetime.date = timezone.localdate()
        facts = merchant_facts_get(merchant_id=selected.merchant_id, as_of=as_of)
        window_first, window_last = merchant_selectors.complete_months_window(
            months=12, as_of=as_of
        )
        # Closest first (presenters.Closeness), not alphabetically.
        standings = program_standings(
            selectors.program_application_list(
                merchant_id=selected.merchant_id,
                belt_id=selected.merchant.belt_id,
                now=timezone.now(),
            )
        )
        context.update(
            standings=standings,
            summary=standing_summary(standings),
            may_apply=_may_apply(selected),
            facts=merchant_fact_rows(facts),
            window_first=window_first,
            window_last=window_last,
        )
    return render(request, "programs/eligibility.html", context)


# Applications ------------------------------------------------------------------------------------
@require_POST
@login_required(login_url="portal:login")
def application_apply(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """Start and submit an application of the selected merchant to a cohort, in one go."""
    _memberships, selected = _memberships_and_selected(request)
    if selected is None:
        raise Http404(_("No merchant is linked to your account"))
    cohort = get_object_or_404(
        Cohort.objects.select_related("program", "belt"), pk=cohort_id, program__is_active=True
    )
    merchant = selected.merchant
    try:
        enrollment_apply(merchant=merchant, cohort=cohort, actor=request.user)
    except ProgramError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Application submitted to %(cohort)s") % {"cohort": cohort.display_name}
        )
    return HttpResponseRedirect(_back_to(request, merchant.pk))


def _back_to(request: HttpRequest, merchant_id: int) -> str:
    """Where an application form sends the merchant back to: the page it was posted from
    (``next``, the portal's home or the eligibility page), never another site."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return _with_merchant(reverse("programs:eligibility"), merchant_id)


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    enrollment: Enrollment
    program_name: str
    may_withdraw: bool


@require_safe
@login_required(login_url="portal:login")
def application_list(request: HttpRequest) -> HttpResponse:
    memberships, selected = _memberships_and_selected(request)
    context: dict = {
        "memberships": memberships,
        "selected": selected,
        "merchant": selected.merchant if selected else None,
    }
    if selected:
        # Every row is the same merchant's: its roles are loaded once (two queries), and each
        # row asks the workflow what enrollment_available_steps would answer, without a query.
        roles = enrollment_roles(user=request.user, merchant=selected.merchant)
        context["applications"] = [
            ApplicationRow(
                enrollment=enrollment,
                program_name=localized_name(enrollment.program.name, enrollment.program.name_zh),
                may_withdraw="withdraw" in workflow.available_steps(enrollment.state, roles),
            )
            for enrollment in selectors.merchant_enrollment_list(merchant_id=selected.merchant_id)
        ]
    return render(request, "programs/applications.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="portal:login")
def application_withdraw(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    """Asks first (GET: what withdrawing gives up, a seat above all), withdraws on the
    confirmation (POST). Works without a script."""
    # Someone else's application is a 404, like one that does not exist.
    enrollment = selectors.member_enrollment_get(user=request.user, enrollment_id=enrollment_id)
    if enrollment is None:
        raise Http404(_("No such application among your merchants'."))
    applications_url = _with_merchant(reverse("programs:applications"), enrollment.merchant_id)
    if request.method != "POST":
        roles = enrollment_roles(user=request.user, merchant=enrollment.merchant)
        if "withdraw" not in workflow.available_steps(enrollment.state, roles):
            # Nothing to confirm: closed already, or not a step this user may take.
            messages.error(
                request,
                _("You cannot %(step)s this application: it is %(state)s.")
                % {
                    "step": workflow.STEP_LABELS[workflow.Step.WITHDRAW],
                    "state": EnrollmentState(enrollment.state).label.lower(),
                },
            )
            return HttpResponseRedirect(applications_url)
        program = enrollment.program
        return render(
            request,
            "programs/application_withdraw.html",
            {
                "enrollment": enrollment,
                "program_name": localized_name(program.name, program.name_zh),
                "holds_seat": enrollment.state in SEAT_HOLDING_STATES,
                "waitlisted": enrollment.state == EnrollmentState.WAITLISTED,
                "back_url": applications_url,
            },
        )
    try:
        enrollment_withdraw(enrollment=enrollment, actor=request.user)
    except ProgramError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Application to %(cohort)s withdrawn.") % {"cohort": enrollment.cohort.display_name},
        )
    return HttpResponseRedirect(applications_url)
