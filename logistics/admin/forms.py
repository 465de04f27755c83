"""The forms of the shipment page's steps and of the scorecards' period. They only read what was
typed; every rule (order, times, photos, who may) is the services' and comes back as a
``LogisticsError`` that the page shows on the field it names."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..choices import Condition, CostBearer, IncidentKind, Resolution
from ..exceptions import LogisticsError
from ..scorecards import DEFAULT_DAYS
from ..services.handovers import MAX_NOTE
from ..services.incidents import MAX_COST, MAX_TEXT

# One input, not a date picker and a time picker: the browser's own date and time field.
_TIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _time_field(label, help_text) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=False, widget=_TIME_WIDGET, help_text=help_text
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; the photos' own checks are ``logistics.photos``'."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class CapfirstLabelsMixin:
    """Labels as the admin shows its fields' names: the model's lower-case words, capitalised."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            form_field.label = capfirst(form_field.label)


class StepForm(CapfirstLabelsMixin, forms.Form):
    """A form whose service's refusal is shown on the field it names (or above the form)."""

    def add_domain_error(self, error: LogisticsError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)

    def uploads(self) -> list:
        return [(upload, upload.name) for upload in self.cleaned_data.get("photos") or []]


class HandoverRecordForm(StepForm):
    index = forms.TypedChoiceField(label=_("hand-over"), coerce=int, choices=())
    condition = forms.ChoiceField(label=_("condition"), choices=Condition.choices)
    checked_at = _time_field(_("handed over at"), _("Leave empty for now."))
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    photos = MultipleFileField(label=_("photos"), required=False)

    def __init__(self, *args, handovers: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["index"].choices = handovers


class HandoverCorrectForm(StepForm):
    condition = forms.ChoiceField(label=_("condition"), choices=Condition.choices)
    checked_at = _time_field(_("handed over at"), None)
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    photos = MultipleFileField(
        label=_("more photos"), required=False, help_text=_("Added to the ones recorded.")
    )


class IncidentReportForm(StepForm):
    kind = forms.ChoiceField(label=_("kind"), choices=IncidentKind.choices)
    description = forms.CharField(
        label=_("description"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )
    reported_at = _time_field(_("reported at"), _("Leave empty for now."))


class IncidentResolveForm(StepForm):
    resolution = forms.ChoiceField(label=_("resolution"), choices=Resolution.choices)
    cost = forms.DecimalField(
        label=_("cost (CNY)"), min_value=0, max_value=MAX_COST, max_digits=12, decimal_places=2
    )
    bearer = forms.ChoiceField(label=_("cost borne by"), choices=CostBearer.choices)
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required when no leg is attributed: why it is resolved this way."),
    )


SCORECARD_DAYS = DEFAULT_DAYS


class PeriodForm(CapfirstLabelsMixin, forms.Form):
    """The scorecards' period: from ``start`` to ``end``, both days included; by default the
    last 90 days up to today."""

    start = forms.DateField(label=_("first day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("last day"), widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def default_data() -> dict[str, str]:
        today = timezone.localdate()
        start = today - datetime.timedelta(days=SCORECARD_DAYS)
        return {"start": start.isoformat(), "end": today.isoformat()}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return cleaned

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as aware times: from the first day's midnight to the day after the last."""
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        zone = timezone.get_current_timezone()
        return (
            datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(
                end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
            ),
        )
