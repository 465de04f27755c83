"""A draft's criteria as a form: one row per criterion, its type chosen from the registry
(``programs.criteria.CRITERIA``), its parameters as fields with their bounds.

Each row holds a field for every parameter of every type, named ``<type>__<param>``; the row's
type decides which of them are read (``static/js/criteria_form.js`` shows only those, and
without scripts every field is labelled with its type). A row is checked by the criterion's own
``clean`` (the registry is the one home of the rules), its refusals put on the field they are
about; the list as a whole by ``criteria_validate`` (the bounds, every category exists), as the
rule-set services will check it again before they store it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from belts.models import Category
from core.language import localized_name

from ..criteria import (
    CRITERIA,
    MAX_CRITERIA,
    MONEY_PLACES,
    RATIO_PLACES,
    ParamField,
    criteria_validate,
    criterion_from_json,
)
from ..exceptions import CriterionError
from ..presenters import criterion_label

HUNDRED = Decimal(100)


def field_name(criterion_type: str, param: str) -> str:
    return f"{criterion_type}__{param}"


def _form_field(spec: ParamField) -> forms.Field:
    """The form field for one parameter: its kind's widget and the registry's bounds."""
    if spec.kind == "amount":
        return forms.DecimalField(
            label=spec.label,
            required=False,
            min_value=Decimal(0),
            max_value=spec.maximum,
            decimal_places=MONEY_PLACES,
            widget=forms.NumberInput(attrs={"step": "0.01", "class": "criterion-number"}),
        )
    if spec.kind == "percent":
        return forms.DecimalField(
            label=spec.label,
            required=False,
            min_value=None if spec.minimum is None else spec.minimum * HUNDRED,
            max_value=None if spec.maximum is None else spec.maximum * HUNDRED,
            # The facts keep ratios to four places: a percentage to two.
            decimal_places=RATIO_PLACES - 2,
            widget=forms.NumberInput(attrs={"step": "0.01", "class": "criterion-number"}),
        )
    if spec.kind == "whole":
        return forms.IntegerField(
            label=spec.label,
            required=False,
            min_value=spec.minimum,
            max_value=spec.maximum,
            widget=forms.NumberInput(attrs={"class": "criterion-number"}),
        )
    if spec.kind == "codes":
        return forms.MultipleChoiceField(
            label=spec.label,
            required=False,
            choices=spec.choices.choices,
            widget=forms.CheckboxSelectMultiple,
        )
    if spec.kind == "categories":
        # Filled with the categories once per form set (see CriteriaFormSet).
        return forms.MultipleChoiceField(
            label=spec.label, required=False, choices=(), widget=forms.SelectMultiple
        )
    if spec.kind == "flag":
        return forms.TypedChoiceField(
            label=spec.label,
            required=False,
            choices=(("yes", _("yes")), ("no", _("no"))),
            coerce=lambda value: value == "yes",
            empty_value=None,
        )
    raise ValueError(f"unknown parameter kind {spec.kind!r}")


def _initial_value(spec: ParamField, value: Any) -> Any:
    """A stored parameter as its field shows it (a ratio as a percentage)."""
    if value is None:
        return None
    if spec.kind == "percent":
        return _plain(Decimal(str(value)) * HUNDRED)
    if spec.kind == "flag":
        return "yes" if value else "no"
    return value


def _stored_value(spec: ParamField, value: Any) -> Any:
    """A field's cleaned value as the criterion's parameter (a percentage as a ratio string,
    an amount as a string of yuan with fen), None for a field left empty."""
    if value in (None, "", []):
        return None
    if spec.kind == "percent":
        return _plain(value / HUNDRED)
    if spec.kind == "amount":
        return _plain(value)
    return value


def _plain(value: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form ("1000000", "0.045")."""
    return format(value.normalize(), "f")


def type_choices() -> list[tuple[str, str]]:
    labelled = sorted(((name, criterion_label(name)) for name in CRITERIA), key=lambda x: x[1])
    return [("", "---------"), *labelled]


class CriterionForm(forms.Form):
    """One criterion: its type and, for each type, the fields of its parameters."""

    type = forms.ChoiceField(label=_("criterion"), choices=(), required=False)

    def __init__(self, *args, category_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()
        self.fields["type"].widget.attrs["class"] = "criterion-type"
        for name, cls in CRITERIA.items():
            for spec in cls.param_fields:
                field = _form_field(spec)
                if spec.kind == "categories":
                    field.choices = category_choices
                field.widget.attrs.update({"data-criterion-type": name})
                self.fields[field_name(name, spec.name)] = field

    def param_rows(self):
        """The row's parameter fields by type, for the template: (type, label, [bound fields])."""
        return [
            {
                "type": name,
                "label": criterion_label(name),
                "fields": [self[field_name(name, spec.name)] for spec in cls.param_fields],
            }
            for name, cls in sorted(CRITERIA.items())
            if cls.param_fields
        ]

    def clean(self):
        data = super().clean()
        criterion_type = data.get("type")
        if not criterion_type or self.errors:
            return data
        cls = CRITERIA[criterion_type]
        params = {}
        for spec in cls.param_fields:
            value = _stored_value(spec, data.get(field_name(criterion_type, spec.name)))
            if value is not None:
                params[spec.name] = value
        try:
            criterion = criterion_from_json({"type": criterion_type, "params": params})
        except CriterionError as error:
            if error.param and field_name(criterion_type, error.param) in self.fields:
                self.add_error(field_name(criterion_type, error.param), error.message)
            else:
                self.add_error(None, error.message)
            return data
        data["criterion"] = criterion.as_json()
        return data

    @classmethod
    def initial_for(cls, criterion: dict) -> dict[str, Any]:
        """The initial values of a row for one stored criterion."""
        criterion_type = criterion.get("type")
        initial: dict[str, Any] = {"type": criterion_type}
        criterion_cls = CRITERIA.get(criterion_type)
        if criterion_cls is None:
            return initial
        params = criterion.get("params") or {}
        for spec in criterion_cls.param_fields:
            initial[field_name(criterion_type, spec.name)] = _initial_value(
                spec, params.get(spec.name)
            )
        return initial


class BaseCriteriaFormSet(forms.BaseFormSet):
    """The rows of a draft; an empty row (no type chosen) is left out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._category_choices = None

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if self._category_choices is None:
            self._category_choices = [
                # By name in the reader's language: the slug is the value, not words to read.
                (slug, localized_name(name, name_zh))
                for slug, name, name_zh in Category.objects.order_by("name").values_list(
                    "slug", "name", "name_zh"
                )
            ]
        kwargs["category_choices"] = self._category_choices
        return kwargs

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            **self.get_form_kwargs(None),
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        if any(self.errors):
            return
        criteria = self.criteria()
        if len(criteria) > MAX_CRITERIA:
            raise ValidationError(
                gettext("A rule set holds at most %(maximum)s criteria, not %(count)s.")
                % {"maximum": MAX_CRITERIA, "count": len(criteria)},
                code="too_many_criteria",
            )
        try:
            criteria_validate(criteria)
        except CriterionError as error:
            # What only the database knows (categories): on the row it is about.
            for detail in error.details or [{"index": None, "message": error.message}]:
                index = detail.get("index")
                forms_with_type = [form for form in self.forms if form.cleaned_data.get("type")]
                if index is not None and index < len(forms_with_type):
                    form = forms_with_type[index]
                    key = (detail.get("field") or "").removeprefix("params.")
                    name = field_name(form.cleaned_data["type"], key)
                    form.add_error(name if name in form.fields else None, detail["message"])
                else:
                    raise ValidationError(detail["message"], code="invalid") from None

    def criteria(self) -> list[dict[str, Any]]:
        """The criteria as the services store them, in the rows' order."""
        return [
            form.cleaned_data["criterion"]
            for form in self.forms
            if form.cleaned_data.get("criterion") and not self._should_delete_form(form)
        ]


# Rows a request may post: far above the bound on criteria, far below what would cost the server.
MAX_ROWS = 20 * MAX_CRITERIA

CriteriaFormSet = forms.formset_factory(
    CriterionForm,
    formset=BaseCriteriaFormSet,
    extra=0,
    can_delete=True,
    # Every row posted is read (a draft stored over the bound, from before it or through the
    # API's older limits, shows all its rows, and deleting some never drops the ones past the
    # bound); the bound itself is said in words by ``clean``. ``absolute_max`` still caps what
    # a request can make the server build.
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=False,
)


def criteria_formset(*, data=None, criteria=None, prefix: str = "criteria") -> BaseCriteriaFormSet:
    """The form set for a draft's criteria: bound to ``data``, or showing ``criteria``."""
    if data is not None:
        return CriteriaFormSet(data, prefix=prefix)
    initial = [
        CriterionForm.initial_for(item) for item in (criteria or []) if isinstance(item, dict)
    ]
    formset = CriteriaFormSet(prefix=prefix, initial=initial)
    formset.extra = 0 if initial else 1
    return formset
