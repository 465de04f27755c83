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
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import MaxLengthValidator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.fields import InvalidJSONInput
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm

from belts.admin_scoping import CenterScopedAdminMixin
from core.money import format_cny, format_ratio
from merchants.facts import merchant_facts_get
from merchants.models import Merchant

from .choices import SEAT_HOLDING_STATES, EnrollmentState, RuleSetStatus
from .criteria import CRITERIA, criteria_validate, explain
from .eligibility import eligibility_reasons
from .exceptions import CriterionError, ProgramError
from .models import (
    REVIEW_QUEUE_STATES,
    Cohort,
    Eligibility,
    Enrollment,
    EnrollmentEvent,
    Program,
    ReviewQueueItem,
    RuleSet,
)
from .resources import CohortResource, ReviewQueueResource
from .services.eligibility import (
    RULE_SET_NOTES_MAX_LENGTH,
    Simulation,
    rule_set_create_draft,
    rule_set_publish,
    rule_set_simulate,
    rule_set_update_draft,
)
from .services.enrollments import (
    REASON_MAX_LENGTH,
    enrollment_activate,
    enrollment_approve,
    enrollment_available_steps,
    enrollment_graduate,
    enrollment_reject,
    enrollment_start_review,
    enrollment_waitlist,
    enrollments_approve_bulk,
)

# Merchants listed per page in each of a draft's simulation lists (gain, lose, keep).
SIMULATION_PAGE_SIZE = 50


# The longest description of a program the console takes.
PROGRAM_DESCRIPTION_MAX_LENGTH = 5000


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = ("name", "code", "name_zh", "description", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["description"]
        field.max_length = PROGRAM_DESCRIPTION_MAX_LENGTH
        field.validators.append(MaxLengthValidator(PROGRAM_DESCRIPTION_MAX_LENGTH))


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
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
        if "notes" in self.fields:
            # The services' bound, said by the form (NUL characters it refuses by itself).
            self.fields["notes"].max_length = RULE_SET_NOTES_MAX_LENGTH
            self.fields["notes"].validators.append(MaxLengthValidator(RULE_SET_NOTES_MAX_LENGTH))
        if "criteria" in self.fields:
            self.fields["criteria"].help_text = gettext(
                'A JSON list of {"type": …, "params": {…}} objects; a merchant must pass every '
                "one, and [] admits everyone. Types: %(types)s."
            ) % {"types": ", ".join(sorted(CRITERIA))}

    def clean_criteria(self):
        """Refuse criteria the eligibility engine could not read, naming each bad criterion."""
        return clean_criteria_field(self.cleaned_data["criteria"])


def clean_criteria_field(criteria):
    """A form's criteria, validated as the services validate them (the bounds, and every
    category exists), with one message per bad criterion, each naming it ("Criterion 2: …")."""
    if not isinstance(criteria, list):
        raise ValidationError(
            _('The criteria must be a JSON list, such as [{"type": "smb", "params": {}}].'),
            code="invalid",
        )
    try:
        criteria_validate(criteria)
    except CriterionError as error:
        raise ValidationError(
            [ValidationError(detail["message"], code=detail["code"]) for detail in error.details]
            or [ValidationError(error.message, code=error.code)]
        ) from None
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
            try:
                simulation = self._simulation(request, rule_set)
            except CriterionError as error:
                # A draft saved before the current bounds: say what to fix, simulate nothing.
                self.message_user(request, error.message, messages.ERROR)
                return context
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
            simulations[rule_set.pk] = rule_set_simulate(rule_set=rule_set, user=request.user)
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
        try:
            simulation = self._simulation(request, rule_set)
        except CriterionError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
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


class ConsoleExportMixin(ExportMixin):
    """CSV and Excel exports of the changelist as filtered, through the admin's (scoped)
    queryset. The plain export form: the selectable-fields one needs inline event handlers,
    which the console's content security policy refuses."""

    export_formats = [CSV, XLSX]
    export_form_class = ExportForm

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request):
        # Only for an export posted from an action: the scoped rows, never the whole table.
        return self.get_queryset(request).values_list("pk", flat=True)


class CohortForm(forms.ModelForm):
    """A cohort; its graduation criteria are validated as a rule set's are."""

    class Meta:
        model = Cohort
        fields = (
            "program",
            "name",
            "application_opens_at",
            "application_closes_at",
            "seats",
            "belt",
            "graduation_criteria",
        )
        field_classes = {"graduation_criteria": CriteriaField}
        widgets = {
            "graduation_criteria": forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"})
        }

    def clean_graduation_criteria(self):
        return clean_criteria_field(self.cleaned_data["graduation_criteria"])


@admin.register(Cohort)
class CohortAdmin(ConsoleExportMixin, admin.ModelAdmin):
    form = CohortForm
    resource_classes = [CohortResource]
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
                # Every application that reached the reviewers, whatever became of it.
                applications=Count(
                    "enrollments", filter=Q(enrollments__submitted_at__isnull=False)
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


class EnrollmentForm(forms.ModelForm):
    """The one field the console edits on an enrollment, bounded as every reason is."""

    eligibility_override_reason = forms.CharField(
        label=_("eligibility override reason"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    class Meta:
        model = Enrollment
        fields = ("eligibility_override_reason",)


@admin.register(Enrollment)
class EnrollmentAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Enrollments are created by applications (portal, API) and move by workflow transitions;
    the console shows them and edits only the override reason."""

    belt_path = "merchant__belt"
    form = EnrollmentForm

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
    actions = ("activate_selected", "graduate_selected")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("cohort"), ordering="cohort__name")
    def cohort_name(self, obj):
        return obj.cohort.name

    # After approval: the center's managers start the program and confirm graduations ----------
    @admin.action(description=_("Start the program for the selected approved enrollments"))
    def activate_selected(self, request, queryset):
        self._step_each(request, queryset, enrollment_activate)

    @admin.action(description=_("Confirm graduation of the selected active enrollments"))
    def graduate_selected(self, request, queryset):
        self._step_each(request, queryset, enrollment_graduate)

    def _step_each(self, request, queryset, service) -> None:
        """One service call per enrollment (each its own transaction, its own checks of state
        and role); what was refused is reported, never forced."""
        done, refused = 0, []
        for enrollment in queryset.select_related("merchant", "cohort"):
            try:
                service(enrollment=enrollment, actor=request.user)
            except ProgramError as error:
                refused.append(f"{enrollment.merchant}: {error.message}")
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d enrollment moved on.", "%(count)d enrollments moved on.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        for line in refused[:10]:
            self.message_user(request, line, messages.WARNING)


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


# The review queue ---------------------------------------------------------------------------------
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
    "start_review": (enrollment_start_review, False),
    "approve": (enrollment_approve, False),
    "waitlist": (enrollment_waitlist, False),
    "reject": (enrollment_reject, True),
}
QUEUE_STEP_BUTTONS = {
    "start_review": _("Start review"),
    "approve": _("Approve"),
    "waitlist": _("Waitlist"),
    "reject": _("Reject"),
}


def _seats_used(cohort_id: int) -> int:
    return Enrollment.objects.filter(cohort_id=cohort_id, state__in=SEAT_HOLDING_STATES).count()


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
        "submitted_at",
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
            {"fields": ("created_by", "created_at", "submitted_at", "state_changed_at")},
        ),
        (_("Eligibility"), {"fields": ("eligibility_override_reason",)}),
    )
    readonly_fields = (
        "merchant",
        "cohort",
        "program",
        "state",
        "created_by",
        "created_at",
        "submitted_at",
        "state_changed_at",
        "eligibility_override_reason",
    )
    actions = ("approve_selected", "waitlist_selected", "reject_selected")
    change_form_template = "admin/programs/reviewqueueitem/change_form.html"
    decision_template = "admin/programs/reviewqueueitem/decision_confirmation.html"
    show_full_result_count = False

    def get_queryset(self, request):
        # At most one row per (merchant, program): the unique index answers, no sort.
        eligible = (
            Eligibility.objects.filter(
                merchant_id=OuterRef("merchant_id"), program_id=OuterRef("program_id")
            )
            .order_by()
            .values("is_eligible")[:1]
        )
        seats_used = (
            Enrollment.objects.filter(
                cohort_id=OuterRef("cohort_id"), state__in=SEAT_HOLDING_STATES
            )
            .order_by()
            .values("cohort_id")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("merchant__belt", "program", "cohort__program")
            .annotate(
                eligible_now=Subquery(eligible),
                seats_used=Coalesce(Subquery(seats_used), Value(0), output_field=IntegerField()),
            )
        )

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
        return obj.cohort.name

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
                "criterion": _criterion_label(reason.type),
                "passed": reason.passed,
                "actual": _reason_value(stored["actual"]),
                "required": _reason_value(stored["required"]),
                "explanation": explain(reason),
            }
            for reason, stored in (
                (reason, reason.as_json())
                for reason in (_reasons(eligibility) if eligibility else [])
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
                    "form": DecisionForm(prefix=step, reason_required=QUEUE_STEPS[step][1]),
                }
                for step in QUEUE_STEPS
                if step in available
            ]
        return {
            "facts": _facts_rows(facts),
            "eligibility": eligibility,
            "reasons": reasons,
            "events": item.events.select_related("actor").order_by("created_at", "pk"),
            "seats_line": gettext("%(used)s of %(seats)s seats used")
            % {"used": item.seats_used, "seats": item.cohort.seats},
            "steps": steps,
        }

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
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        service, reason_required = QUEUE_STEPS[step]
        form = DecisionForm(request.POST, prefix=step, reason_required=reason_required)
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
    def _decision_message(step: str, enrollment: Enrollment) -> str:
        """What happened, in the reviewer's words: an approval may end on the waitlist."""
        values = {"merchant": enrollment.merchant}
        state = enrollment.state
        if state == EnrollmentState.APPROVED:
            return gettext("Approved — %(used)s of %(seats)s seats used.") % {
                "used": _seats_used(enrollment.cohort_id),
                "seats": enrollment.cohort.seats,
            }
        if state == EnrollmentState.WAITLISTED and step == "approve":
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
        return self._decide_in_bulk(request, queryset, "waitlist")

    @admin.action(description=_("Reject selected applications"), permissions=["review"])
    def reject_selected(self, request, queryset):
        return self._decide_in_bulk(request, queryset, "reject")

    def _decide_in_bulk(self, request, queryset, step: str):
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
                "waitlist": ngettext(
                    "%(count)s application waitlisted.",
                    "%(count)s applications waitlisted.",
                    done,
                ),
                "reject": ngettext(
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
                "waitlist": gettext("Waitlist these applications?"),
                "reject": gettext("Reject these applications?"),
            }[step],
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "queryset": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "button": QUEUE_STEP_BUTTONS[step],
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.decision_template, context)


def _facts_rows(facts) -> list[tuple[str, str]]:
    """The merchant's facts as (label, value) rows for the detail page; none without data."""
    if facts is None:
        return []
    years, months = divmod(facts.store_age_months, 12)
    return [
        (gettext("GMV, last 12 months"), format_cny(facts.gmv_12m)),
        (gettext("GMV, the 12 months before"), format_cny(facts.gmv_prior_12m)),
        (gettext("year-on-year growth"), format_ratio(facts.yoy_growth) or "—"),
        (gettext("live-stream share of GMV"), format_ratio(facts.live_share) or "—"),
        (gettext("live sessions, last 90 days"), number_format(facts.live_sessions_90d)),
        (gettext("refund rate"), format_ratio(facts.refund_rate, decimal_pos=2) or "—"),
        (
            gettext("store age"),
            gettext("%(years)s y %(months)s m") % {"years": years, "months": months},
        ),
        (gettext("months with data"), number_format(facts.months_with_data)),
    ]
