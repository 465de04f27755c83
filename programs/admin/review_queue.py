"""The review queue in the console: applications awaiting a decision, oldest submission first,
decided one by one from their page or in bulk, always through the enrollment services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from belts.admin_scoping import CenterScopedAdminMixin
from core.admin import ConsoleExportMixin, object_missing_redirect
from core.pagination import BigTablePaginator
from core.people import person_display
from merchants.facts import merchant_facts_get

from ..choices import REVIEW_QUEUE_STATES, EnrollmentState
from ..criteria import explain
from ..exceptions import ProgramError
from ..models import Eligibility, Enrollment, ReviewQueueItem
from ..presenters import criterion_label, criterion_value, merchant_fact_rows
from ..resources import ReviewQueueResource
from ..selectors import cohort_seats_used, seats_used_subquery
from ..services.enrollments import (
    REASON_MAX_LENGTH,
    enrollment_approve,
    enrollment_available_steps,
    enrollment_reject,
    enrollment_start_review,
    enrollment_waitlist,
    enrollments_approve_bulk,
)
from ..workflow import Step
from .cohorts import CohortListFilter
from .eligibility import stored_reasons


class QueueStateFilter(admin.SimpleListFilter):
    """The queue's two states only (the model's choices list every state of the workflow)."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(state.value, state.label) for state in REVIEW_QUEUE_STATES]

    def queryset(self, request, queryset):
        if self.value() in REVIEW_QUEUE_STATES:
            return queryset.filter(state=self.value())
        return queryset


class DecisionForm(forms.Form):
    """The reason a reviewer gives with a decision; required for a rejection."""

    reason = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


# The decisions a reviewer takes from the queue, in the order the detail page offers them:
# the step's service and whether a written reason is required.
QUEUE_STEPS = {
    Step.START_REVIEW: (enrollment_start_review, False),
    Step.APPROVE: (enrollment_approve, False),
    Step.WAITLIST: (enrollment_waitlist, False),
    Step.REJECT: (enrollment_reject, True),
}
QUEUE_STEP_BUTTONS = {
    Step.START_REVIEW: _("Start review"),
    Step.APPROVE: _("Approve"),
    Step.WAITLIST: _("Waitlist"),
    Step.REJECT: _("Reject"),
}


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(CenterScopedAdminMixin, ConsoleExportMixin, admin.ModelAdmin):
    """Applications awaiting a decision (submitted or in review), oldest submission first.

    Every decision goes through the enrollment services with the reviewer as the actor: the
    buttons of the detail page (POST only) and the bulk actions. The services check who may
    decide (a reviewer or manager of a center serving the merchant's belt), the state, and the
    seats under the cohort's lock; their refusals become error messages. Taking a decision needs
    the permission to change enrollments, as the "Reviewers" group has.
    """

    belt_path = "merchant__belt"
    resource_classes = [ReviewQueueResource]

    list_display = (
        "merchant",
        "belt",
        "program",
        "cohort_name",
        "state",
        "submitted",
        "eligible_now",
        "seats",
    )
    list_display_links = ("merchant",)
    # The cohort's program too: the row's action checkbox is labelled with str(enrollment).
    list_select_related = ("merchant__belt", "program", "cohort__program")
    list_filter = (
        QueueStateFilter,
        "program",
        ("cohort", CohortListFilter),
        "merchant__belt",
        "merchant__belt__operation_centers",
    )
    search_fields = ("merchant__shop_name", "merchant__legal_name", "cohort__name")
    # Oldest submission first: the queue index (state, submitted_at) serves this order.
    ordering = ("submitted_at", "pk")
    fieldsets = (
        (None, {"fields": ("merchant", "cohort", "program", "state")}),
        (
            _("Timeline"),
            {"fields": ("created_by_name", "created_at", "submitted_at", "state_changed_at")},
        ),
        (_("Eligibility"), {"fields": ("eligibility_override_reason",)}),
    )
    readonly_fields = (
        "merchant",
        "cohort",
        "program",
        "state",
        "created_by_name",
        "created_at",
        "submitted_at",
        "state_changed_at",
        "eligibility_override_reason",
    )
    actions = (
        "start_review_selected",
        "approve_selected",
        "waitlist_selected",
        "reject_selected",
    )
    change_list_template = "admin/programs/reviewqueueitem/change_list.html"
    change_form_template = "admin/programs/reviewqueueitem/change_form.html"
    decision_template = "admin/programs/reviewqueueitem/decision_confirmation.html"
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    def get_queryset(self, request):
        return self._with_figures(super().get_queryset(request))

    @staticmethod
    def _with_figures(queryset):
        """The rows with what the queue shows beside them: eligible now and the seats used."""
        # At most one row per (merchant, program): the unique index answers, no sort.
        eligible = (
            Eligibility.objects.filter(
                merchant_id=OuterRef("merchant_id"), program_id=OuterRef("program_id")
            )
            .order_by()
            .values("is_eligible")[:1]
        )
        return queryset.select_related("merchant__belt", "program", "cohort__program").annotate(
            eligible_now=Subquery(eligible),
            seats_used=seats_used_subquery("cohort_id"),
        )

    def get_object(self, request, object_id, from_field=None):
        """An application of the queue or, once decided, the same application still: the back
        button, a bookmark or a shared link keep their page (read-only, with its history).
        Decided or not, an application outside the reviewer's centers is a 404."""
        try:
            obj = super().get_object(request, object_id, from_field)
        except Http404:
            obj = None
        if obj is not None:
            return obj
        queryset = ReviewQueueItem._base_manager.exclude(state__in=REVIEW_QUEUE_STATES)
        scope = self.get_scope_filter(request)
        if scope is not None:
            queryset = queryset.filter(scope)
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        try:
            key = field.to_python(object_id)
        except Exception:
            key = None
        decided = (
            self._with_figures(queryset).filter(**{field.attname: key}).first()
            if key is not None
            else None
        )
        if decided is None and scope is not None:
            raise Http404(f"No {self.opts.label} with key {object_id!r} in scope.")
        return decided

    # Permissions: the queue is read here and changed only by the workflow's steps.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request) -> bool:
        """May take decisions at all (the services still check the merchant's belt)."""
        opts = Enrollment._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    # Columns --------------------------------------------------------------------------------------
    @admin.display(description=_("belt"), ordering="merchant__belt__slug")
    def belt(self, obj):
        return obj.merchant.belt

    @admin.display(description=_("cohort"), ordering="cohort__name")
    def cohort_name(self, obj):
        return obj.cohort.display_name

    @admin.display(description=_("created by"))
    def created_by_name(self, obj):
        return person_display(obj.created_by) if obj.created_by_id else "—"

    @admin.display(description=_("submitted"), ordering="submitted_at")
    def submitted(self, obj):
        # The date in the locale's short form; the time is on the application's page.
        if obj.submitted_at is None:
            return None
        return formats.date_format(timezone.localtime(obj.submitted_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("eligible now"), boolean=True, ordering="eligible_now")
    def eligible_now(self, obj):
        return obj.eligible_now

    @admin.display(description=_("seats used"), ordering="seats_used")
    def seats(self, obj):
        return gettext("%(used)s of %(seats)s") % {
            "used": obj.seats_used,
            "seats": obj.cohort.seats,
        }

    # The detail page ------------------------------------------------------------------------------
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._review_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _review_context(self, request, item: ReviewQueueItem) -> dict:
        facts = merchant_facts_get(merchant_id=item.merchant_id, as_of=timezone.localdate())
        eligibility = (
            Eligibility.objects.select_related("rule_set")
            .filter(merchant_id=item.merchant_id, program_id=item.program_id)
            .first()
        )
        reasons = [
            {
                "criterion": criterion_label(reason.type),
                "passed": reason.passed,
                "actual": criterion_value(reason.type, stored["actual"]),
                "required": criterion_value(reason.type, stored["required"]),
                "explanation": explain(reason),
            }
            for reason, stored in (
                (reason, reason.as_json())
                for reason in (stored_reasons(eligibility) if eligibility else [])
            )
        ]
        steps = []
        if self.has_review_permission(request):
            available = set(enrollment_available_steps(enrollment=item, user=request.user))
            steps = [
                {
                    "name": step,
                    "label": QUEUE_STEP_BUTTONS[step],
                    "url": reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_decide",
                        args=[item.pk, step],
                        current_app=self.admin_site.name,
                    ),
                    "reason_required": QUEUE_STEPS[step][1],
                    # A rejection ends the application: the page draws it as a destructive step.
                    "destructive": step == Step.REJECT,
                }
                for step in QUEUE_STEPS
                if step in available
            ]
        return {
            "decided": self._decided_line(item) if item.state not in REVIEW_QUEUE_STATES else "",
            # One reason box for every step: each button posts it to its own step.
            "decision_form": DecisionForm(),
            "facts": merchant_fact_rows(facts),
            "eligibility": eligibility,
            "reasons": reasons,
            "events": item.events.select_related("actor").order_by("created_at", "pk"),
            "seats_line": gettext("%(used)s of %(seats)s seats used")
            % {"used": item.seats_used, "seats": item.cohort.seats},
            "steps": steps,
        }

    @staticmethod
    def _decided_line(item: ReviewQueueItem) -> str:
        """ "Approved by … on …": who moved the application into its present state, and when."""
        event = (
            item.events.filter(to_state=item.state)
            .select_related("actor")
            .order_by("-created_at", "-pk")
            .first()
        )
        state = EnrollmentState(item.state).label
        if event is None:
            return gettext("%(state)s.") % {"state": state}
        values = {
            "state": state,
            "actor": event.actor,
            "date": formats.date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT"),
        }
        if event.actor is None:
            return gettext("%(state)s by the workflow on %(date)s.") % values
        return gettext("%(state)s by %(actor)s on %(date)s.") % values

    # Decisions, one by one ------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/decide/<str:step>/",
                self.admin_site.admin_view(require_POST(self.decide_view)),
                name="{}_{}_decide".format(*info),
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, object_id, step):
        """POST only: take ``step`` on one application through its service, as the reviewer."""
        if step not in QUEUE_STEPS or not self.has_review_permission(request):
            raise PermissionDenied
        item = self.get_object(request, unquote(object_id))
        if item is None:
            return object_missing_redirect(self, request, object_id)
        service, reason_required = QUEUE_STEPS[step]
        form = DecisionForm(request.POST, reason_required=reason_required)
        if not form.is_valid():
            self.message_user(
                request,
                gettext("%(step)s: give a reason.") % {"step": QUEUE_STEP_BUTTONS[step]},
                messages.ERROR,
            )
            return HttpResponseRedirect(self._item_url(item))
        try:
            done = service(enrollment=item, actor=request.user, reason=form.cleaned_data["reason"])
        except ProgramError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self._item_url(item))
        self.message_user(request, self._decision_message(step, done), messages.SUCCESS)
        if done.state in REVIEW_QUEUE_STATES:
            return HttpResponseRedirect(self._item_url(item))
        # Decided: it left the queue; back to what is left of it.
        return HttpResponseRedirect(self._queue_url())

    def _item_url(self, item) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[item.pk],
            current_app=self.admin_site.name,
        )

    def _queue_url(self) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
            current_app=self.admin_site.name,
        )

    @staticmethod
    def _decision_message(step: Step, enrollment: Enrollment) -> str:
        """What happened, in the reviewer's words: an approval may end on the waitlist."""
        values = {"merchant": enrollment.merchant}
        state = enrollment.state
        if state == EnrollmentState.APPROVED:
            return gettext("Approved — %(used)s of %(seats)s seats used.") % {
                "used": cohort_seats_used(cohort_id=enrollment.cohort_id),
                "seats": enrollment.cohort.seats,
            }
        if state == EnrollmentState.WAITLISTED and step == Step.APPROVE:
            return gettext("The cohort is full: %(merchant)s is waitlisted.") % values
        if state == EnrollmentState.WAITLISTED:
            return gettext("%(merchant)s is waitlisted.") % values
        if state == EnrollmentState.IN_REVIEW:
            return gettext("%(merchant)s is now in review.") % values
        if state == EnrollmentState.REJECTED:
            return gettext("%(merchant)s was rejected.") % values
        return gettext("%(merchant)s is now %(state)s.") % {
            **values,
            "state": EnrollmentState(state).label.lower(),
        }

    # Decisions in bulk ----------------------------------------------------------------------------
    @admin.action(description=_("Start review of selected applications"), permissions=["review"])
    def start_review_selected(self, request, queryset):
        """Take the submitted applications among the selected into review, each through the
        service in its own transaction (no reason needed); then they can be approved in bulk.
        Applications already in review are left alone and counted."""
        done, already, refused = 0, 0, []
        for item in queryset:
            if item.state == EnrollmentState.IN_REVIEW:
                already += 1
                continue
            try:
                enrollment_start_review(enrollment=item, actor=request.user, reason="")
            except ProgramError as error:
                refused.append(error.message)
            else:
                done += 1
        parts = [
            ngettext(
                "%(count)s application taken into review",
                "%(count)s applications taken into review",
                done,
            )
            % {"count": done}
        ]
        if already:
            parts.append(
                ngettext("%(count)s already in review", "%(count)s already in review", already)
                % {"count": already}
            )
        self.message_user(
            request, "; ".join(parts) + ".", messages.SUCCESS if done else messages.WARNING
        )
        for text in refused:
            self.message_user(request, text, messages.ERROR)
        return None

    @admin.action(description=_("Approve selected applications"), permissions=["review"])
    def approve_selected(self, request, queryset):
        """Fill each cohort's free seats in order of submission and waitlist the rest."""
        try:
            result = enrollments_approve_bulk(enrollments=queryset, actor=request.user)
        except ProgramError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        approved = len(result.approved)
        parts = [
            ngettext("%(count)s application approved", "%(count)s applications approved", approved)
            % {"count": approved}
        ]
        if result.waitlisted:
            parts.append(
                ngettext(
                    "%(count)s waitlisted: the cohort is full",
                    "%(count)s waitlisted: the cohort is full",
                    len(result.waitlisted),
                )
                % {"count": len(result.waitlisted)}
            )
        if result.skipped:
            parts.append(
                ngettext(
                    "%(count)s left alone: not in review",
                    "%(count)s left alone: not in review",
                    len(result.skipped),
                )
                % {"count": len(result.skipped)}
            )
        level = messages.SUCCESS if result.approved or result.waitlisted else messages.WARNING
        self.message_user(request, "; ".join(parts) + ".", level)
        return None

    @admin.action(description=_("Waitlist selected applications"), permissions=["review"])
    def waitlist_selected(self, request, queryset):
        return self._decide_in_bulk(request, queryset, Step.WAITLIST)

    @admin.action(description=_("Reject selected applications"), permissions=["review"])
    def reject_selected(self, request, queryset):
        return self._decide_in_bulk(request, queryset, Step.REJECT)

    def _decide_in_bulk(self, request, queryset, step: Step):
        """First a confirmation page asking for the reason (as Django's delete confirmation
        does), then the step's service for each selected application, each in its own
        transaction: one refusal does not undo the others, and is reported."""
        service, reason_required = QUEUE_STEPS[step]
        form = DecisionForm(
            request.POST if request.POST.get("post") else None, reason_required=reason_required
        )
        if form.is_bound and form.is_valid():
            done, refused = 0, []
            for item in queryset:
                try:
                    service(enrollment=item, actor=request.user, reason=form.cleaned_data["reason"])
                except ProgramError as error:
                    refused.append(error.message)
                else:
                    done += 1
            message = {
                Step.WAITLIST: ngettext(
                    "%(count)s application waitlisted.",
                    "%(count)s applications waitlisted.",
                    done,
                ),
                Step.REJECT: ngettext(
                    "%(count)s application rejected.", "%(count)s applications rejected.", done
                ),
            }[step] % {"count": done}
            self.message_user(request, message, messages.SUCCESS if done else messages.WARNING)
            for text in refused:
                self.message_user(request, text, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": {
                Step.WAITLIST: gettext("Waitlist these applications?"),
                Step.REJECT: gettext("Reject these applications?"),
            }[step],
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "queryset": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "button": QUEUE_STEP_BUTTONS[step],
            "destructive": step == Step.REJECT,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.decision_template, context)
