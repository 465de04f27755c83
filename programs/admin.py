"""Staff console for support programs, rule sets, eligibility, cohorts and enrollments.

What the console may not do, it refuses here rather than trusting the services to catch it:
a published or retired rule set is immutable, eligibility is computed, enrollment events are an
append-only audit log, and an enrollment changes state only through the workflow (its guards
keep seats from being overbooked), never by editing the ``state`` field.

Rule sets are written only by the rule-set services: a draft is created and edited with
``rule_set_create_draft`` and ``rule_set_update_draft``, and published with ``rule_set_publish``
from a confirmation page that shows what ``rule_set_simulate`` predicts.
"""

import copy
import json
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.forms.fields import InvalidJSONInput
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from belts.admin_scoping import CenterScopedAdminMixin
from merchants.models import Merchant

from .choices import SEAT_HOLDING_STATES, EnrollmentState, RuleSetStatus
from .criteria import CRITERIA, criteria_from_json, explain
from .eligibility import eligibility_reasons
from .exceptions import CriterionError, ProgramError
from .models import Cohort, Eligibility, Enrollment, EnrollmentEvent, Program, RuleSet
from .services import (
    Simulation,
    rule_set_create_draft,
    rule_set_publish,
    rule_set_simulate,
    rule_set_update_draft,
)

# Merchants listed per page in each of a draft's simulation lists (gain, lose, keep).
SIMULATION_PAGE_SIZE = 50


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "name_zh", "is_active", "published_version", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "name_zh", "code")
    prepopulated_fields = {"code": ("name",)}
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        published = RuleSet.objects.filter(program=OuterRef("pk"), status=RuleSetStatus.PUBLISHED)
        return (
            super()
            .get_queryset(request)
            .annotate(published_version=Subquery(published.values("version")[:1]))
        )

    @admin.display(description=_("published rule set"), ordering="published_version")
    def published_version(self, obj):
        if obj.published_version is None:
            return None
        return _("v%(version)s") % {"version": obj.published_version}


# Rule sets ---------------------------------------------------------------------------------------
class CriteriaField(forms.JSONField):
    """Criteria as indented JSON, one parameter a line, so that a draft reads and edits by hand."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class RuleSetForm(forms.ModelForm):
    """A draft's program (on creation), criteria and notes; the services assign the version."""

    class Meta:
        model = RuleSet
        fields = ("program", "criteria", "notes")
        field_classes = {"criteria": CriteriaField}
        widgets = {"criteria": forms.Textarea(attrs={"rows": 16, "class": "vLargeTextField"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "criteria" in self.fields:
            self.fields["criteria"].help_text = gettext(
                'A JSON list of {"type": …, "params": {…}} objects; a merchant must pass every '
                "one, and [] admits everyone. Types: %(types)s."
            ) % {"types": ", ".join(sorted(CRITERIA))}

    def clean_criteria(self):
        """Refuse criteria the eligibility engine could not read, naming each bad criterion."""
        criteria = self.cleaned_data["criteria"]
        if not isinstance(criteria, list):
            raise ValidationError(
                _('The criteria must be a JSON list, such as [{"type": "smb", "params": {}}].'),
                code="invalid",
            )
        errors = []
        for number, criterion in enumerate(criteria, start=1):
            try:
                criteria_from_json([criterion])
            except CriterionError as error:
                errors.append(
                    ValidationError(
                        _("Criterion %(number)s: %(error)s"),
                        code=error.code,
                        params={"number": number, "error": error.message},
                    )
                )
        if errors:
            raise ValidationError(errors)
        return criteria


def simulation_summary(counts: dict[str, int]) -> str:
    """The counts in words: "N merchants would gain eligibility, M would lose it, K ..."."""

    def number(key: str) -> dict[str, str]:
        return {"count": number_format(counts[key], force_grouping=True)}

    return gettext("%(gain)s, %(lose)s, %(keep)s.") % {
        "gain": ngettext(
            "%(count)s merchant would gain eligibility",
            "%(count)s merchants would gain eligibility",
            counts["gain"],
        )
        % number("gain"),
        "lose": ngettext("%(count)s would lose it", "%(count)s would lose it", counts["lose"])
        % number("lose"),
        "keep": ngettext("%(count)s would keep it", "%(count)s would keep it", counts["keep"])
        % number("keep"),
    }


@dataclass(frozen=True, slots=True)
class PageLink:
    label: str
    url: str | None  # None for the current page and for an ellipsis
    current: bool = False


@dataclass(frozen=True, slots=True)
class SimulationList:
    """One page of the merchants who would gain, lose or keep eligibility."""

    key: str  # "gain", "lose" or "keep"; its page is ``?<key>_page=``
    title: str
    count: int
    page: Page
    merchants: list[Merchant]
    links: list[PageLink]


def _page_links(request, key: str, page: Page) -> list[PageLink]:
    if page.paginator.num_pages < 2:
        return []
    query = request.GET.copy()  # the other lists keep their pages
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.number:
            links.append(PageLink(str(number), None, current=True))
        elif number == page.paginator.ELLIPSIS:
            links.append(PageLink(str(number), None))
        else:
            query[f"{key}_page"] = number
            links.append(PageLink(str(number), f"?{query.urlencode()}#simulation-{key}"))
    return links


def simulation_lists(request, simulation: Simulation) -> list[SimulationList]:
    """The current page of each list, its merchants loaded in one query for all three."""
    pages = [
        (key, title, Paginator(ids, SIMULATION_PAGE_SIZE).get_page(request.GET.get(f"{key}_page")))
        for key, title, ids in (
            ("gain", gettext("Would gain eligibility"), simulation.gained),
            ("lose", gettext("Would lose eligibility"), simulation.lost),
            ("keep", gettext("Would keep eligibility"), simulation.kept),
        )
    ]
    merchants = (
        Merchant.objects.select_related("belt")
        .order_by()
        .in_bulk([merchant_id for _key, _title, page in pages for merchant_id in page])
    )
    return [
        SimulationList(
            key=key,
            title=title,
            count=page.paginator.count,
            page=page,
            # A merchant deleted since the simulation ran is left out.
            merchants=[merchants[pk] for pk in page if pk in merchants],
            links=_page_links(request, key, page),
        )
        for key, title, page in pages
    ]


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Drafts are edited here; published and retired versions are immutable: view only.

    Every write goes through the rule-set services: the form only validates. The lifecycle
    fields are read-only even on drafts: publishing (with its confirmation page) retires the
    previous version and stamps the times. A draft's page shows its simulation: who would gain,
    lose and keep eligibility if it were published now.
    """

    list_display = (
        "program",
        "version",
        "status",
        "criterion_count",
        "created_by",
        "created_at",
        "published_at",
        "retired_at",
    )
    list_select_related = ("program", "created_by")
    list_filter = ("status", "program")
    search_fields = ("program__name", "program__code", "notes")
    form = RuleSetForm
    lifecycle_fields = ("status", "created_by", "created_at", "published_at", "retired_at")
    fields = ("program", "version", "criteria", "notes", *lifecycle_fields)
    add_fields = ("program", "criteria", "notes")
    publish_template = "admin/programs/ruleset/publish_confirmation.html"

    @staticmethod
    def _is_frozen(obj) -> bool:
        return obj is not None and obj.status != RuleSetStatus.DRAFT

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program", "created_by")

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A draft stays in its program and keeps its number; only criteria and notes change.
        return ("program", "version", *self.lifecycle_fields)

    def has_change_permission(self, request, obj=None):
        if self._is_frozen(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Also consulted per object by the bulk delete action and by cascades from a program.
        if self._is_frozen(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """Write through the services, never a plain save: they number the versions under a
        lock and change nothing but a draft."""
        data = form.cleaned_data
        if change:
            saved = rule_set_update_draft(
                rule_set=obj, criteria=data["criteria"], notes=data["notes"]
            )
        else:
            saved = rule_set_create_draft(
                program=data["program"],
                criteria=data["criteria"],
                notes=data["notes"],
                actor=request.user,
            )
        # The admin goes on with ``obj`` (log entry, message, redirect): make it the saved row.
        for field in RuleSet._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ProgramError as error:
            # The draft was published by someone else after this page checked it: the service
            # refused under its lock and the admin's transaction rolled back.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._rule_set_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _rule_set_context(self, request, rule_set: RuleSet) -> dict:
        is_draft = rule_set.status == RuleSetStatus.DRAFT
        context = {
            "is_draft": is_draft,
            "can_publish": is_draft and self.has_change_permission(request, rule_set),
            "can_copy": self.has_add_permission(request),
        }
        # Not after a POST the form refused: the page is about the errors then, and the
        # simulation (which reads every merchant) would show the saved criteria, not the typed.
        if is_draft and request.method == "GET":
            simulation = self._simulation(request, rule_set)
            context.update(
                simulation=simulation,
                simulation_summary=simulation_summary(simulation.counts),
                simulation_lists=simulation_lists(request, simulation),
            )
        return context

    @staticmethod
    def _simulation(request, rule_set: RuleSet) -> Simulation:
        """The rule set's simulation, run at most once per request: it reads every merchant.
        Kept on the request only; the next request sees the data as it is then."""
        simulations = request.__dict__.setdefault("_rule_set_simulations", {})
        if rule_set.pk not in simulations:
            simulations[rule_set.pk] = rule_set_simulate(rule_set=rule_set)
        return simulations[rule_set.pk]

    # Publishing and copying --------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="{}_{}_publish".format(*info),
            ),
            path(
                "<path:object_id>/new-draft/",
                self.admin_site.admin_view(require_POST(self.new_draft_view)),
                name="{}_{}_new_draft".format(*info),
            ),
            *super().get_urls(),
        ]

    def _change_url(self, rule_set: RuleSet) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[rule_set.pk],
            current_app=self.admin_site.name,
        )

    def publish_view(self, request, object_id):
        """GET: what publishing the draft would do, and a form to confirm. POST: publish it.

        A GET never publishes. Checked against the model's change permission: a published rule
        set refuses every change, and should get a message saying why rather than a 403."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        rule_set = self.get_object(request, unquote(object_id))
        if rule_set is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = self._change_url(rule_set)
        if rule_set.status != RuleSetStatus.DRAFT:
            self.message_user(
                request,
                gettext(
                    "%(rule_set)s is %(status)s: only a draft can be published. Published rule "
                    "sets never change; create a new draft."
                )
                % {"rule_set": rule_set, "status": rule_set.get_status_display()},
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        retiring = RuleSet.objects.filter(
            program_id=rule_set.program_id, status=RuleSetStatus.PUBLISHED
        ).first()
        # Simulated before publishing: afterwards the recompute makes the outcome the record.
        simulation = self._simulation(request, rule_set)
        if request.method == "POST":
            return self._publish(request, rule_set, retiring, simulation, change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Publish %(rule_set)s?") % {"rule_set": rule_set},
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": rule_set,
            "retiring": retiring,
            "simulation": simulation,
            "simulation_summary": simulation_summary(simulation.counts),
            "change_url": change_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.publish_template, context)

    def _publish(self, request, rule_set, retiring, simulation, change_url):
        try:
            published = rule_set_publish(rule_set=rule_set, actor=request.user)
        except ProgramError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        # The admin's log is the record of who published: the rule set keeps only when.
        self.log_change(request, published, gettext("Published."))
        values = {"rule_set": published, "summary": simulation_summary(simulation.counts)}
        if retiring is None:
            message = gettext(
                "%(rule_set)s is published. As simulated just before: %(summary)s Eligibility "
                "is being recomputed."
            )
        else:
            values["retired"] = retiring.version
            message = gettext(
                "%(rule_set)s is published and v%(retired)s retired. As simulated just before: "
                "%(summary)s Eligibility is being recomputed."
            )
        self.message_user(request, message % values, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def new_draft_view(self, request, object_id):
        """POST only: a new draft of the same program with a copy of this version's criteria."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = self.get_object(request, unquote(object_id))
        if source is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        try:
            draft = rule_set_create_draft(
                program=source.program,
                criteria=copy.deepcopy(source.criteria),
                notes=gettext("Based on v%(version)s") % {"version": source.version},
                actor=request.user,
            )
        except ProgramError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self._change_url(source))
        self.log_addition(request, draft, [{"added": {}}])
        self.message_user(
            request,
            gettext("%(draft)s is a new draft based on v%(version)s. Edit it, then publish it.")
            % {"draft": draft, "version": source.version},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(draft))

    @admin.display(description=_("criteria"))
    def criterion_count(self, obj):
        return len(obj.criteria or ())


@admin.register(Eligibility)
class EligibilityAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Computed by the recompute tasks: shown with its reasons, never typed by hand.

    Deleting is allowed (the next recompute writes the row again), so that deleting a merchant
    or a program is not blocked by its derived rows.
    """

    belt_path = "merchant__belt"

    list_display = (
        "merchant",
        "program",
        "rule_set_version",
        "is_eligible",
        "failed_criteria",
        "changed_at",
        "computed_at",
    )
    list_select_related = ("merchant", "program", "rule_set")
    list_filter = ("is_eligible", "program", "merchant__belt")
    search_fields = ("merchant__shop_name", "merchant__legal_name")
    fields = (
        "merchant",
        "program",
        "rule_set",
        "is_eligible",
        "reasons_table",
        "changed_at",
        "status_changes",
        "computed_at",
    )
    readonly_fields = fields
    # The model orders by the program's and the merchant's names, a sort over joined tables for
    # every page; the unique (merchant, program) index serves this order instead.
    ordering = ("merchant_id", "program_id")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rule set"), ordering="rule_set__version")
    def rule_set_version(self, obj):
        return _("v%(version)s") % {"version": obj.rule_set.version}

    @admin.display(description=_("failed criteria"))
    def failed_criteria(self, obj):
        return sum(1 for reason in _reasons(obj) if not reason.passed)

    @admin.display(description=_("reasons"))
    def reasons_table(self, obj):
        """One row per criterion: passed or not, the actual and the required value, the
        shortfall, and the explanation a merchant reads, in the active language."""
        reasons = _reasons(obj)
        if not reasons:
            return None
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _criterion_label(reason.type),
                    gettext("passed") if reason.passed else gettext("failed"),
                    _reason_value(stored["actual"]),
                    _reason_value(stored["required"]),
                    _reason_value(stored["shortfall"]),
                    explain(reason),
                )
                for reason, stored in ((reason, reason.as_json()) for reason in reasons)
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            gettext("criterion"),
            gettext("result"),
            gettext("actual"),
            gettext("required"),
            gettext("shortfall"),
            gettext("explanation"),
            rows,
        )


def _criterion_label(criterion_type: str) -> str:
    criterion = CRITERIA.get(criterion_type)
    return str(criterion.label) if criterion else criterion_type


def _reason_value(value) -> str:
    """A stored value for a table cell: as the engine stored it, lists and ranges spelled out."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_reason_value(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_reason_value(item) for item in value) or "—"
    return str(value)


def _reasons(eligibility) -> list:
    try:
        return eligibility_reasons(eligibility)
    except (CriterionError, ValueError, ArithmeticError):
        # A row in a shape the engine does not write (an import by hand): the page must not fail.
        return []


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "program",
        "application_opens_at",
        "application_closes_at",
        "seats",
        "seats_taken",
        "waitlisted",
        "belt",
    )
    list_select_related = ("program", "belt")
    list_filter = ("program", "belt__category")
    date_hierarchy = "application_opens_at"
    search_fields = ("name", "program__name", "program__code")
    autocomplete_fields = ("belt",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                seats_taken=Count(
                    "enrollments", filter=Q(enrollments__state__in=SEAT_HOLDING_STATES)
                ),
                waitlisted=Count(
                    "enrollments", filter=Q(enrollments__state=EnrollmentState.WAITLISTED)
                ),
            )
        )

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats_taken(self, obj):
        return obj.seats_taken

    @admin.display(description=_("waitlisted"), ordering="waitlisted")
    def waitlisted(self, obj):
        return obj.waitlisted


class CohortListFilter(admin.RelatedFieldListFilter):
    """Lists cohorts with their program in one query (a cohort's name includes its program's)."""

    def field_choices(self, field, request, model_admin):
        cohorts = Cohort.objects.select_related("program").order_by(
            "program__name", "-application_opens_at", "name"
        )
        return [(cohort.pk, str(cohort)) for cohort in cohorts]


class EnrollmentEventInline(admin.TabularInline):
    """The enrollment's history, read-only: the audit log is append-only."""

    model = EnrollmentEvent
    fields = ("created_at", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Enrollments are created by applications (portal, API) and move by workflow transitions;
    the console shows them and edits only the override reason."""

    belt_path = "merchant__belt"

    list_display = (
        "merchant",
        "program",
        "cohort_name",
        "state",
        "submitted_at",
        "decided_at",
        "state_changed_at",
        "created_at",
    )
    # The cohort's program too: the row's action checkbox is labelled with str(enrollment).
    list_select_related = ("merchant", "program", "cohort__program")
    # No date hierarchy on this big table: it scans every row for its range on each page view.
    list_filter = (
        "state",
        "program",
        ("cohort", CohortListFilter),
        "merchant__belt",
        "submitted_at",
        "created_at",
    )
    search_fields = ("merchant__shop_name", "merchant__legal_name", "cohort__name")
    # Newest first by key: the model's "-created_at" order has no index and would sort the whole
    # table for every page; ids grow with creation time, so the order is the same.
    ordering = ("-pk",)
    readonly_fields = (
        "merchant",
        "cohort",
        "program",
        "state",
        "created_by",
        "created_at",
        "submitted_at",
        "decided_at",
        "waitlisted_at",
        "state_changed_at",
    )
    fieldsets = (
        (None, {"fields": ("merchant", "cohort", "program", "state")}),
        (_("Eligibility"), {"fields": ("eligibility_override_reason",)}),
        (
            _("Timeline"),
            {
                "fields": (
                    "created_by",
                    "created_at",
                    "submitted_at",
                    "decided_at",
                    "waitlisted_at",
                    "state_changed_at",
                )
            },
        ),
    )
    inlines = (EnrollmentEventInline,)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("cohort"), ordering="cohort__name")
    def cohort_name(self, obj):
        return obj.cohort.name


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """The append-only audit log of enrollment transitions: viewable, never added, changed or
    deleted through the console (deleting an enrollment or a merchant that has history is
    refused for the same reason)."""

    belt_path = "enrollment__merchant__belt"

    list_display = ("enrollment", "from_state", "to_state", "actor", "created_at")
    list_select_related = ("enrollment__merchant", "enrollment__cohort__program", "actor")
    list_filter = ("to_state", "from_state", "created_at")
    search_fields = ("enrollment__merchant__shop_name", "reason", "actor__username")
    # Newest first by key: the model orders by enrollment, hence by the enrollment's own order,
    # a join and a sort of the whole log for each page.
    ordering = ("-pk",)
    fields = ("enrollment", "from_state", "to_state", "actor", "reason", "created_at")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
