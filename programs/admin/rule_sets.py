"""Rule sets in the console: drafts edited, simulated and published; published and retired
versions shown read-only.

Rule sets are written only by the rule-set services: a draft is created and edited with
``rule_set_create_draft`` and ``rule_set_update_draft``, and published with ``rule_set_publish``
from a confirmation page that shows what the draft's simulation predicts.
"""

import copy
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.fields import InvalidJSONInput
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import object_missing_redirect

from ..choices import RuleSetStatus
from ..criteria import MAX_CRITERIA, criteria_from_json, criteria_validate
from ..exceptions import CriterionError, ProgramError
from ..models import RuleSet
from ..services.eligibility import (
    RULE_SET_NOTES_MAX_LENGTH,
    Simulation,
    rule_set_create_draft,
    rule_set_publish,
    rule_set_simulation_get,
    rule_set_update_draft,
)
from .criteria_form import MAX_ROWS, criteria_formset
from .simulation import simulation_lists, simulation_summary


class CriteriaField(forms.JSONField):
    """Criteria as indented JSON, one parameter a line, so that a draft reads and edits by hand."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class RuleSetForm(forms.ModelForm):
    """A draft's program (on creation), criteria and notes; the services assign the version.

    The criteria are a form set (``criteria_form``): one row per criterion, its type from the
    registry and its parameters as fields. ``cleaned_data["criteria"]`` is the list the
    rule-set services store, or the form is invalid with the rows' errors on the rows."""

    class Meta:
        model = RuleSet
        fields = ("program", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "notes" in self.fields:
            # The services' bound, said by the form (NUL characters it refuses by itself).
            self.fields["notes"].max_length = RULE_SET_NOTES_MAX_LENGTH
            self.fields["notes"].validators.append(MaxLengthValidator(RULE_SET_NOTES_MAX_LENGTH))
        stored = self.instance.criteria if self.instance.pk else []
        self.criteria_formset = criteria_formset(
            data=self.data if self.is_bound else None,
            criteria=stored[:MAX_ROWS] if isinstance(stored, list) else [],
        )

    def clean(self):
        data = super().clean()
        if not self.criteria_formset.is_valid():
            raise ValidationError(
                _("Some criteria need correcting: see the criteria below."), code="criteria"
            )
        data["criteria"] = self.criteria_formset.criteria()
        return data


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
    # The criteria of a draft are the form set under the fields; a published or retired
    # version shows them as sentences.
    fields = ("program", "version", "criteria_sentences", "notes", *lifecycle_fields)
    frozen_fields = ("program", "version", "criteria_sentences", "notes", *lifecycle_fields)
    add_fields = ("program", "notes")
    publish_template = "admin/programs/ruleset/publish_confirmation.html"

    @staticmethod
    def _is_frozen(obj) -> bool:
        return obj is not None and obj.status != RuleSetStatus.DRAFT

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program", "created_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        return self.frozen_fields if self._is_frozen(obj) else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A draft stays in its program and keeps its number; only criteria and notes change.
        # Its saved criteria read as sentences above the rows that edit them.
        return ("program", "version", "criteria_sentences", *self.lifecycle_fields)

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
        form = context["adminform"].form
        if not self._is_frozen(obj) and hasattr(form, "criteria_formset"):
            context["criteria_formset"] = form.criteria_formset
            context["max_criteria"] = MAX_CRITERIA
        return super().render_change_form(request, context, add, change, form_url, obj)

    @property
    def media(self):
        # The criteria rows: a type's fields shown for the type chosen, rows added and removed.
        return super().media + forms.Media(js=["js/criteria_form.js"])

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
        """The draft's simulation: computed once per version of its criteria (it reads every
        merchant) and cached for a while, so the change page, its list pages and the publish
        confirmation share it."""
        return rule_set_simulation_get(rule_set=rule_set, user=request.user)

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
            return object_missing_redirect(self, request, object_id)
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
        if request.method == "POST":
            # No simulation here: the recompute queued by the publication makes the outcome the
            # record, and the reviewer saw the prediction on the confirmation page.
            return self._publish(request, rule_set, retiring, change_url)
        try:
            simulation = self._simulation(request, rule_set)
        except CriterionError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
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

    def _publish(self, request, rule_set, retiring, change_url):
        try:
            published = rule_set_publish(rule_set=rule_set, actor=request.user)
        except ProgramError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        # The admin's log is the record of who published: the rule set keeps only when.
        self.log_change(request, published, gettext("Published."))
        if retiring is None:
            message = gettext("%(rule_set)s is published. Eligibility is being recomputed.") % {
                "rule_set": published
            }
        else:
            message = gettext(
                "%(rule_set)s is published and v%(retired)s retired. Eligibility is being "
                "recomputed."
            ) % {"rule_set": published, "retired": retiring.version}
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def new_draft_view(self, request, object_id):
        """POST only: a new draft of the same program with a copy of this version's criteria."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = self.get_object(request, unquote(object_id))
        if source is None:
            return object_missing_redirect(self, request, object_id)
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

    @admin.display(description=_("criteria in words"))
    def criteria_sentences(self, obj):
        """What a merchant must meet, one sentence per criterion, in the active language."""
        try:
            criteria = criteria_from_json(obj.criteria, bounded=False)
        except CriterionError:
            # Stored in a shape the engine cannot read: show it as it is.
            return json.dumps(obj.criteria, ensure_ascii=False)
        if not criteria:
            return gettext("No criteria: every merchant is eligible.")
        return format_html(
            '<ol class="criteria-sentences">{}</ol>',
            format_html_join("", "<li>{}</li>", ((c.sentence(),) for c in criteria)),
        )
