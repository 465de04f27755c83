"""Typed, parameterised eligibility criteria.

A rule set stores its criteria as data: ``[{"type": "gmv_between", "params": {"min": "1000000"}}]``.
Each type is one small class here: it checks its parameters, reads one fact of the merchant (its
*actual* value), judges it into a :class:`Reason` (passed, actual, required, shortfall in the
criterion's unit), says the same rule in SQL for the set-based recompute, and explains a reason
in the active language. Adding a type is one class and one ``@register``.

An eligibility row stores only the actual value each criterion saw: the rest of a reason follows
from it and from the rule set, which never changes once published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

from django.db import models
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from belts.choices import BeltTier
from belts.models import Category
from belts.selectors import category_names_by_slug
from core.language import localized_name
from core.money import cny_as_shown, format_cny, format_percent
from merchants.choices import BrandStage, MerchantType
from merchants.facts import MerchantFacts

from .exceptions import CriterionError

# What a rule set may hold (docs/eligibility.md, "Bounds"). Every rule set inside these bounds is
# cheap to evaluate and fits in the one statement of the set-based recompute; the services, the
# console and the API refuse anything outside them, and a stored rule set outside them is skipped
# by the recompute rather than stopping it.
MAX_CRITERIA = 50  # criteria in one rule set (the seeded programs use at most five)
MAX_LIST_VALUES = 200  # values of one list parameter (category slugs, merchant types, tiers)
MAX_TEXT_LENGTH = 100  # characters of any string in a criterion (a category slug is at most 100)
MAX_AMOUNT = Decimal("10000000000000")  # CNY 10^13: far above any merchant's yearly GMV
MONEY_PLACES = 2  # amounts are CNY with fen
RATIO_PLACES = 4  # growth, shares and rates are rounded to 4 places in the facts
PERCENT_PLACES = 1  # ... and shown as percentages to one place (18.8%)
MIN_GROWTH, MAX_GROWTH = Decimal(-1), Decimal(100)  # -100 % (nothing left) to +10,000 %
MAX_MONTHS = 1200  # a hundred years
MAX_SESSIONS = 10_000  # live sessions in 90 days: more than a hundred a day
# A value quoted back in an error message is cut to this many characters.
_QUOTED_LENGTH = 40


@dataclass(frozen=True, slots=True)
class Reason:
    """The outcome of one criterion for one merchant. JSON-friendly through ``as_json``."""

    type: str
    passed: bool
    actual: Any
    required: Any
    shortfall: Any = None

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "passed": self.passed,
            "actual": _to_json(self.actual),
            "required": _to_json(self.required),
            "shortfall": _to_json(self.shortfall),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            type=data["type"],
            passed=data["passed"],
            actual=data.get("actual"),
            required=data.get("required"),
            shortfall=data.get("shortfall"),
        )


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list | frozenset | set):
        return sorted(_to_json(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


def _percent(ratio: Decimal | None, places: int = PERCENT_PLACES) -> Decimal | None:
    """A ratio as the percentage a page shows: ``places`` decimal places, rounded half up."""
    if ratio is None:
        return None
    return (ratio * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _percent_values(reason: Reason) -> dict[str, str]:
    """A ratio criterion's actual and required value as percentages, and the shortfall in
    percentage points *between the two figures shown*: 18.8% against 20.0% is 1.2 points short,
    whatever the unrounded ratios were, so the sentence adds up. Facts have four places (two of a
    percentage): where one place would hide a real gap (19.99% against 20%), two are shown."""
    actual, required = _decimal(reason.actual), _decimal(_bound_of(reason.required))
    places = PERCENT_PLACES
    if (
        not reason.passed
        and actual is not None
        and required is not None
        and _percent(actual) == _percent(required)
    ):
        places = RATIO_PLACES - 2
    shown_actual, shown_required = _percent(actual, places), _percent(required, places)
    points = (
        abs(shown_required - shown_actual)
        if shown_actual is not None and shown_required is not None
        else None
    )
    return {
        "actual": _percent_text(shown_actual, places),
        "required": _percent_text(shown_required, places),
        "shortfall": "—" if points is None else number_format(points, places),
    }


def _percent_text(percent: Decimal | None, places: int) -> str:
    # The percentage is already rounded: format_percent only formats it in the locale's style.
    return format_percent(None if percent is None else percent / 100, places)


def shortfall_points(reason: Reason) -> str:
    """The shortfall of a failed ratio criterion in percentage points, as its sentence says."""
    return _percent_values(reason)["shortfall"]


def _bound_of(required: Any) -> Any:
    """The one bound of ``required`` (a ``{"min", "max"}`` pair gives the one that is set)."""
    if isinstance(required, Mapping):
        return required.get("min") if required.get("min") is not None else required.get("max")
    return required if isinstance(required, int | str | Decimal) else None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _quoted(value: Any) -> str:
    """A value as an error message may quote it: short, whatever was sent."""
    text = str(value)
    return text if len(text) <= _QUOTED_LENGTH else text[: _QUOTED_LENGTH - 1] + "…"


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass(frozen=True, slots=True)
class ParamField:
    """How a form asks for one parameter of a criterion type (the console's criteria form).

    ``kind`` is one of ``amount`` (CNY, a decimal with fen), ``percent`` (a ratio typed as a
    percentage: 4.7 for 0.047), ``whole`` (a whole number), ``codes`` (several of
    ``choices``), ``categories`` (several category slugs, which are data) and ``flag`` (yes or
    no). ``minimum`` and ``maximum`` are in the stored unit (a ratio for ``percent``)."""

    name: str
    kind: str
    label: Any
    required: bool = True
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    choices: type[models.TextChoices] | None = None


class Criterion:
    """One rule over one fact. Subclasses set ``type``, ``label``, ``fact`` (an attribute of
    ``MerchantFacts`` and a column of the facts relation ``f`` in SQL), ``params_allowed`` (the
    parameter names ``clean`` reads: any other is refused) and implement ``judge``,
    ``passed_sql`` (the same rule in SQL, for PostgreSQL) and ``explain``."""

    type: ClassVar[str]
    label: ClassVar[Any]
    fact: ClassVar[str]
    params_allowed: ClassVar[tuple[str, ...]] = ()
    decimal: ClassVar[bool] = False  # the actual value is a Decimal, stored as a JSON string
    textual: ClassVar[bool] = False  # the actual value is a code (text): the fingerprint escapes it
    # Whether a merchant can meet the criterion by its own work (more live sessions, a lower
    # refund rate, more GMV), or not (its store age, category, belt, type): the portal tells
    # the two apart, and a program failing a criterion it cannot act on is out of reach.
    actionable: ClassVar[bool] = False
    # The names of categories, for explaining a reason (set by ``explain``; see CategoryNames).
    category_names: CategoryNames | None = None

    def __init__(self, params: Mapping[str, Any] | None = None, *, bounded: bool = True) -> None:
        # Unbounded: reading what was stored under older rules (the reasons of a stored outcome,
        # a notification's payload), where only what judging needs is checked.
        self.bounded = bounded
        params = dict(params or {})
        unknown = sorted(str(key) for key in params if key not in self.params_allowed)
        if unknown and not bounded:
            params = {key: value for key, value in params.items() if key in self.params_allowed}
        elif unknown:
            raise CriterionError(
                _("%(type)s: unknown parameter “%(key)s”; it takes %(known)s.")
                % {
                    "type": self.type,
                    "key": _quoted(unknown[0]),
                    "known": ", ".join(f"“{name}”" for name in self.params_allowed),
                },
                code="unknown_param",
                param=unknown[0],
            )
        self.params = self.clean(params)

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        """Validate and normalise the parameters; raise CriterionError with a clear message."""
        return params

    def evaluate(self, facts: MerchantFacts) -> Reason:
        return self.judge(getattr(facts, self.fact))

    def judge(self, actual: Any) -> Reason:
        """The reason for a merchant whose fact has this value (None: no data)."""
        raise NotImplementedError

    def passed_sql(self) -> tuple[str, tuple[Any, ...]]:
        """A boolean over ``f.<fact>`` that is never NULL, agreeing with ``judge`` exactly."""
        raise NotImplementedError

    def explain(self, reason: Reason) -> str:
        """The reason in words, in the active language."""
        raise NotImplementedError

    def within_reach(self, reason: Reason) -> bool:
        """Whether the merchant can make this failed reason pass by its own work."""
        return self.actionable

    def relative_shortfall(self, reason: Reason) -> Decimal:
        """How far a failed reason is from passing, relative to what is required (0.25: a
        quarter of the way still to go); 1 without data or a bound to compare with; 0 when
        passed."""
        if reason.passed:
            return Decimal(0)
        shortfall, required = _decimal(reason.shortfall), _decimal(_bound_of(reason.required))
        if shortfall is None or not required:
            return Decimal(1)
        return abs(shortfall) / abs(required)

    def shortfall_text(self, reason: Reason) -> str:
        """What a failed reason still takes, in a few words ("3 more live sessions"); the
        criterion's label where there is nothing to count."""
        return str(self.label)

    @property
    def column(self) -> str:
        return f"f.{self.fact}"

    def actual_json(self, actual: Any) -> Any:
        return str(actual) if self.decimal and actual is not None else actual

    def actual_from_json(self, value: Any) -> Any:
        return Decimal(value) if self.decimal and value is not None else value

    def required_json(self) -> Any:
        """``required`` as ``Reason.as_json`` stores it (the same for every merchant)."""
        return _to_json(self.required())

    def required(self) -> Any:
        return next(iter(self.params.values()))

    def describe(self) -> str:
        """The requirement in words, in the active language (for rule set pages)."""
        return str(self.label)

    # The form's fields for the parameters, in order (see ``ParamField``).
    param_fields: ClassVar[tuple[ParamField, ...]] = ()

    def sentence(self) -> str:
        """The requirement as a sentence, in the active language ("Year-on-year GMV growth of
        at least 20.0%"), for a rule set's page; subclasses say it in their own words."""
        return self.describe()

    def format_value(self, value: Any) -> str:
        """One actual or required value of this type as a reader reads it."""
        if isinstance(value, int) and not isinstance(value, bool):
            return number_format(value, force_grouping=True)
        return str(value)

    @classmethod
    def display_value(cls, value: Any) -> str:
        """``format_value`` without parameters (for a stored reason's values)."""
        criterion = cls.__new__(cls)
        criterion.params = {}
        criterion.bounded = False
        return criterion.format_value(value)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "params": _to_json(self.params)}

    # Parameter helpers -------------------------------------------------------------------------
    def _error(self, message: str, key: str, code: str) -> CriterionError:
        return CriterionError(message, code=code, param=key)

    def _amount(
        self,
        params: dict,
        key: str,
        *,
        required: bool,
        minimum: Decimal | None,
        maximum: Decimal,
        places: int,
    ) -> Decimal | None:
        """A decimal number (a string, or a JSON number) within ``[minimum, maximum]`` (no
        floor if ``minimum`` is None) with at most ``places`` decimal places."""
        raw = params.get(key)
        if raw is None or raw == "":
            if required:
                raise self._error(
                    _("%(type)s: the parameter “%(key)s” is required.")
                    % {"type": self.type, "key": key},
                    key,
                    "required",
                )
            return None
        value = None
        if isinstance(raw, int | float | str | Decimal) and not isinstance(raw, bool):
            try:
                value = Decimal(str(raw).strip())
            except (InvalidOperation, ValueError):
                value = None
        if value is None:
            raise self._error(
                _("%(type)s: “%(key)s” must be a number, not “%(value)s”.")
                % {"type": self.type, "key": key, "value": _quoted(raw)},
                key,
                "invalid_type",
            )
        if not value.is_finite():
            raise self._error(
                _("%(type)s: “%(key)s” must be a finite number.") % {"type": self.type, "key": key},
                key,
                "invalid_type",
            )
        if not self.bounded:
            return value
        if minimum is not None and not minimum <= value <= maximum:
            raise self._error(
                _("%(type)s: “%(key)s” must be between %(minimum)s and %(maximum)s.")
                % {"type": self.type, "key": key, "minimum": minimum, "maximum": maximum},
                key,
                "out_of_range",
            )
        if value > maximum:
            raise self._error(
                _("%(type)s: “%(key)s” must be at most %(maximum)s.")
                % {"type": self.type, "key": key, "maximum": maximum},
                key,
                "out_of_range",
            )
        if _places(value) > places:
            raise self._error(
                _("%(type)s: “%(key)s” has at most %(places)s decimal places.")
                % {"type": self.type, "key": key, "places": places},
                key,
                "too_precise",
            )
        return value

    def _whole(self, params: dict, key: str, *, minimum: int = 0, maximum: int) -> int:
        """A whole number (a JSON integer or a string of digits) within ``[minimum, maximum]``."""
        raw = params.get(key)
        digits = isinstance(raw, str) and raw.isascii() and raw.isdigit()
        if not digits and (isinstance(raw, bool) or not isinstance(raw, int)):
            raise self._error(
                _("%(type)s: “%(key)s” must be a whole number, not “%(value)s”.")
                % {"type": self.type, "key": key, "value": _quoted(raw)},
                key,
                "invalid_type",
            )
        value = int(raw)
        if value < minimum and self.bounded:
            raise self._error(
                _("%(type)s: “%(key)s” must be at least %(minimum)s.")
                % {"type": self.type, "key": key, "minimum": minimum},
                key,
                "out_of_range",
            )
        if value > maximum and self.bounded:
            raise self._error(
                _("%(type)s: “%(key)s” must be at most %(maximum)s.")
                % {"type": self.type, "key": key, "maximum": maximum},
                key,
                "out_of_range",
            )
        return value

    def _strings(self, params: dict, key: str) -> list[str]:
        """A non-empty list of at most ``MAX_LIST_VALUES`` distinct strings."""
        raw = params.get(key)
        if not isinstance(raw, list | tuple) or not raw or not all(isinstance(v, str) for v in raw):
            raise self._error(
                _("%(type)s: “%(key)s” must be a non-empty list of codes.")
                % {"type": self.type, "key": key},
                key,
                "invalid_type",
            )
        if not self.bounded:
            return sorted(set(raw))
        if len(raw) > MAX_LIST_VALUES:
            raise self._error(
                _("%(type)s: “%(key)s” holds at most %(maximum)s values, not %(count)s.")
                % {"type": self.type, "key": key, "maximum": MAX_LIST_VALUES, "count": len(raw)},
                key,
                "too_many",
            )
        seen: set[str] = set()
        repeated = [value for value in raw if value in seen or seen.add(value)]
        if repeated:
            raise self._error(
                _("%(type)s: “%(key)s” lists “%(value)s” more than once.")
                % {"type": self.type, "key": key, "value": _quoted(repeated[0])},
                key,
                "duplicate",
            )
        return sorted(raw)

    def _choices(self, params: dict, key: str, allowed: Iterable[str]) -> list[str]:
        values = self._strings(params, key)
        allowed = set(allowed)
        unknown = [value for value in values if value not in allowed]
        if unknown:
            raise self._error(
                _("%(type)s: unknown values in “%(key)s”: %(values)s.")
                % {
                    "type": self.type,
                    "key": key,
                    "values": ", ".join(_quoted(value) for value in unknown[:5]),
                },
                key,
                "unknown_value",
            )
        return values


CRITERIA: dict[str, type[Criterion]] = {}


def register(cls: type[Criterion]) -> type[Criterion]:
    CRITERIA[cls.type] = cls
    return cls


def _check_text(value: Any, param: str | None) -> None:
    """Refuse a string PostgreSQL cannot store (a NUL character) or longer than any criterion
    needs, anywhere in ``value``; ``param`` is the parameter it belongs to, for the message."""
    if isinstance(value, str):
        where = {"key": _quoted(param), "maximum": MAX_TEXT_LENGTH}
        if "\x00" in value:
            message = (
                _("“%(key)s” cannot hold a NUL character (\\u0000).") % where
                if param
                else _("A criterion cannot hold a NUL character (\\u0000).")
            )
            raise CriterionError(message, code="null_character", param=param)
        if len(value) > MAX_TEXT_LENGTH:
            message = (
                _("“%(key)s”: a text is at most %(maximum)s characters long.") % where
                if param
                else _("A text in a criterion is at most %(maximum)s characters long.") % where
            )
            raise CriterionError(message, code="too_long", param=param)


def _check_param(value: Any, param: str) -> None:
    """A parameter's value is a scalar or a flat list of at most ``MAX_LIST_VALUES`` scalars,
    its strings within ``_check_text``: nothing nested, nothing to walk deeply."""
    values = value if isinstance(value, list | tuple) else [value]
    if isinstance(value, list | tuple) and len(value) > MAX_LIST_VALUES:
        raise CriterionError(
            _("“%(key)s” holds at most %(maximum)s values, not %(count)s.")
            % {"key": _quoted(param), "maximum": MAX_LIST_VALUES, "count": len(value)},
            code="too_many",
            param=param,
        )
    for item in values:
        if isinstance(item, list | tuple | Mapping):
            raise CriterionError(
                _("“%(key)s” holds a value or a list of values, not nested lists or objects.")
                % {"key": _quoted(param)},
                code="invalid_type",
                param=param,
            )
        _check_text(item, param)


def criterion_from_json(data: Any, *, bounded: bool = True) -> Criterion:
    """One criterion, validated within the bounds (``bounded``) or, reading what was stored
    under older rules, only as far as judging needs."""
    if not isinstance(data, Mapping) or "type" not in data:
        raise CriterionError(_("A criterion must be an object with a “type”."), code="invalid")
    if bounded:
        for key in data:
            _check_text(key, None)
        _check_text(data["type"], "type")
    extra = sorted(str(key) for key in data if key not in ("type", "params"))
    if extra and bounded:
        raise CriterionError(
            _("A criterion holds a “type” and its “params” only, not “%(key)s”.")
            % {"key": _quoted(extra[0])},
            code="unknown_param",
        )
    try:
        cls = CRITERIA[data["type"]]
    except (KeyError, TypeError):
        raise CriterionError(
            _("Unknown criterion type “%(type)s”. Known types: %(known)s.")
            % {"type": _quoted(data["type"]), "known": ", ".join(sorted(CRITERIA))},
            code="unknown_type",
            param="type",
        ) from None
    params = data.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise CriterionError(
            _("%(type)s: “params” must be an object.") % {"type": data["type"]},
            code="invalid_type",
        )
    if bounded:
        for name, value in params.items():
            _check_text(name, None)
            _check_param(value, str(name))
    return cls(params, bounded=bounded)


def _detail(index: int, error: CriterionError) -> dict[str, Any]:
    # None: the criterion as a whole.
    field = error.param if error.param in (None, "type") else f"params.{error.param}"
    return {"index": index, "field": field, "code": error.code, "message": error.message}


def _refused(problems: list[tuple[int, CriterionError]]) -> CriterionError:
    """One error for the bad criteria of a list: a message per criterion, counted from 1."""
    details = []
    for index, error in problems:
        detail = _detail(index, error)
        detail["message"] = _("Criterion %(number)s: %(error)s") % {
            "number": index + 1,
            "error": error.message,
        }
        details.append(detail)
    message = details[0]["message"]
    if len(details) > 1:
        more = len(details) - 1
        message = ngettext(
            "%(first)s (and %(more)s more criterion with a problem)",
            "%(first)s (and %(more)s more criteria with problems)",
            more,
        ) % {"first": message, "more": more}
    return CriterionError(message, code="invalid", details=details)


def criteria_from_json(data: Any, *, bounded: bool = True) -> list[Criterion]:
    """The criteria of a rule set, validated: a list of at most ``MAX_CRITERIA`` criteria, each
    within its type's bounds. One CriterionError lists every bad criterion (``details``, one
    entry each with its index and parameter). Reads no table: see ``criteria_validate``.

    ``bounded=False`` is for reading what was stored under older rules (a stored outcome's
    reasons, a notification): the bounds are not applied, only what judging needs."""
    if not isinstance(data, list):
        raise CriterionError(_("Criteria must be a list."), code="invalid")
    if len(data) > MAX_CRITERIA and bounded:
        raise CriterionError(
            _("A rule set holds at most %(maximum)s criteria, not %(count)s.")
            % {"maximum": MAX_CRITERIA, "count": len(data)},
            code="too_many_criteria",
        )
    criteria, problems = [], []
    for index, item in enumerate(data):
        try:
            criteria.append(criterion_from_json(item, bounded=bounded))
        except CriterionError as error:
            problems.append((index, error))
    if problems:
        raise _refused(problems)
    return criteria


def criteria_validate(data: Any) -> list[Criterion]:
    """``criteria_from_json``, and what only the database knows: every category slug a
    criterion lists exists (one query). What the services call before storing criteria."""
    criteria = criteria_from_json(data)
    slugs = {
        slug
        for criterion in criteria
        if isinstance(criterion, CategoryIn)
        for slug in criterion.params[CategoryIn.param]
    }
    if not slugs:
        return criteria
    known = set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    problems = []
    for index, criterion in enumerate(criteria):
        if not isinstance(criterion, CategoryIn):
            continue
        unknown = [slug for slug in criterion.params[CategoryIn.param] if slug not in known]
        if unknown:
            problems.append(
                (
                    index,
                    CriterionError(
                        _("category_in: unknown category slugs in “categories”: %(values)s.")
                        % {"values": ", ".join(_quoted(slug) for slug in unknown[:5])},
                        code="unknown_value",
                        param=CategoryIn.param,
                    ),
                )
            )
    if problems:
        raise _refused(problems)
    return criteria


def evaluate_all(criteria: Sequence[Criterion], facts: MerchantFacts) -> tuple[bool, list[Reason]]:
    """Every criterion must pass. An empty rule set admits everyone."""
    reasons = [criterion.evaluate(facts) for criterion in criteria]
    return all(reason.passed for reason in reasons), reasons


def reasons_from_actuals(criteria: Sequence[Criterion], actuals: Sequence[Any]) -> list[Reason]:
    """The reasons of a stored outcome: each criterion judges the actual value it saw."""
    return [
        criterion.judge(criterion.actual_from_json(actual))
        for criterion, actual in zip(criteria, actuals, strict=True)
    ]


class CategoryNames:
    """Category names by slug for explanations, read at the first lookup (one query) and then
    shared by every explanation given the same instance, in whichever language is active when
    each is worded: a page makes one and passes it to all its ``explain`` calls. A slug that
    is no category's (since deleted) reads as itself."""

    def __init__(self, names: Mapping[str, tuple[str, str]] | None = None) -> None:
        self._names = dict(names) if names is not None else None

    def name(self, slug: str) -> str:
        if self._names is None:
            self._names = category_names_by_slug()
        name, name_zh = self._names.get(slug, (slug, ""))
        return localized_name(name, name_zh)


def criterion_for_reason(
    reason: Reason, categories: CategoryNames | None = None
) -> Criterion | None:
    """The criterion that judged a stored reason, to word it or weigh it (its parameters are
    not needed: the reason holds what was required); None for a type no longer known."""
    cls = CRITERIA.get(reason.type)
    if cls is None:
        return None
    criterion = cls.__new__(cls)
    criterion.params = {}
    criterion.category_names = categories or CategoryNames()
    return criterion


def explain(
    reason: Reason | Mapping[str, Any],
    *,
    language: str | None = None,
    categories: CategoryNames | None = None,
) -> str:
    """Words for a stored reason, in ``language`` or the active one. Categories are named, not
    given by slug: pass one ``categories`` to the explanations of a page, so that they read the
    names once (none if no criterion names a category); without, this call reads them itself."""
    if not isinstance(reason, Reason):
        reason = Reason.from_json(reason)
    criterion = criterion_for_reason(reason, categories)
    if criterion is None:
        return reason.type
    if language:
        with translation.override(language):
            return criterion.explain(reason)
    return criterion.explain(reason)


def explain_bilingual(reason: Reason | Mapping[str, Any]) -> dict[str, str]:
    categories = CategoryNames()
    return {
        "en": explain(reason, language="en", categories=categories),
        "zh-hans": explain(reason, language="zh-hans", categories=categories),
    }


# Numeric criteria ------------------------------------------------------------------------------
class _Bound(Criterion):
    """``actual >= min`` (``param = "min"``) or ``actual <= max`` (``param = "max"``); the
    shortfall is how far the actual value is from the bound. Missing data fails with none.
    The bound is a ratio within ``[minimum, maximum]``, to the facts' four places."""

    fact: ClassVar[str]
    param: ClassVar[str]
    decimal = True
    minimum: ClassVar[Decimal] = Decimal(0)
    maximum: ClassVar[Decimal] = Decimal(1)

    def clean(self, params):
        value = self._amount(
            params,
            self.param,
            required=True,
            minimum=self.minimum,
            maximum=self.maximum,
            places=RATIO_PLACES,
        )
        return {self.param: value}

    def judge(self, actual):
        required = self.params[self.param]
        if actual is None:
            return Reason(self.type, False, None, required)
        gap = required - actual if self.param == "min" else actual - required
        passed = gap <= 0
        return Reason(self.type, passed, actual, required, None if passed else gap)

    def passed_sql(self):
        operator = ">=" if self.param == "min" else "<="
        return (
            f"COALESCE({self.column} {operator} %s::numeric, false)",
            (str(self.params[self.param]),),
        )

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "param", None) and "param_fields" not in cls.__dict__:
            label = _AT_LEAST_LABEL if cls.param == "min" else _AT_MOST_LABEL
            cls.param_fields = (
                ParamField(cls.param, "percent", label, minimum=cls.minimum, maximum=cls.maximum),
            )

    def format_value(self, value):
        return format_percent(_decimal(value))

    def sentence(self):
        return _SENTENCES[self.type]() % {"value": self.format_value(self.params[self.param])}


_AT_LEAST_LABEL = gettext_lazy("at least (percent)")
_AT_MOST_LABEL = gettext_lazy("at most (percent)")
_SENTENCES = {
    "yoy_growth_at_least": lambda: _("Year-on-year GMV growth of at least %(value)s"),
    "live_share_at_least": lambda: _("Live streams bring at least %(value)s of GMV"),
    "refund_rate_at_most": lambda: _("An average refund rate of at most %(value)s"),
}


class _AtLeast(_Bound):
    param = "min"
    params_allowed = ("min",)


class _AtMost(_Bound):
    param = "max"
    params_allowed = ("max",)


@register
class GmvBetween(Criterion):
    type = "gmv_between"
    actionable = True  # up to the floor; a GMV above the ceiling is out of reach
    label = gettext_lazy("Trailing 12-month GMV between")
    fact = "gmv_12m"
    params_allowed = ("min", "max")
    decimal = True

    def clean(self, params):
        bounds = {"minimum": None, "maximum": MAX_AMOUNT, "places": MONEY_PLACES}
        low = self._amount(params, "min", required=False, **bounds)
        high = self._amount(params, "max", required=False, **bounds)
        for key, value in (("min", low), ("max", high)):
            if value is not None and value < 0:
                raise CriterionError(
                    _("gmv_between: amounts cannot be negative."), code="out_of_range", param=key
                )
        if low is None and high is None:
            raise CriterionError(
                _("gmv_between: give a “min”, a “max” or both."), code="required", param="min"
            )
        if low is not None and high is not None and low > high:
            raise CriterionError(
                _("gmv_between: “min” must not exceed “max”."), code="out_of_range", param="min"
            )
        return {"min": low, "max": high}

    def judge(self, actual):
        low, high = self.params["min"], self.params["max"]
        required = {"min": low, "max": high}
        if low is not None and actual < low:
            return Reason(self.type, False, actual, required, low - actual)
        if high is not None and actual > high:
            return Reason(self.type, False, actual, required, high - actual)
        return Reason(self.type, True, actual, required)

    def required(self):
        return {"min": self.params["min"], "max": self.params["max"]}

    param_fields = (
        ParamField(
            "min", "amount", gettext_lazy("at least (CNY)"), required=False, maximum=MAX_AMOUNT
        ),
        ParamField(
            "max", "amount", gettext_lazy("at most (CNY)"), required=False, maximum=MAX_AMOUNT
        ),
    )

    def format_value(self, value):
        return format_cny(_decimal(value))

    def sentence(self):
        low, high = self.params["min"], self.params["max"]
        values = {"minimum": format_cny(low), "maximum": format_cny(high)}
        if low is not None and high is not None:
            return _("Trailing 12-month GMV between %(minimum)s and %(maximum)s") % values
        if low is not None:
            return _("Trailing 12-month GMV of at least %(minimum)s") % values
        return _("Trailing 12-month GMV of at most %(maximum)s") % values

    def passed_sql(self):
        conditions, params = [], []
        if self.params["min"] is not None:
            conditions.append("f.gmv_12m >= %s::numeric")
            params.append(str(self.params["min"]))
        if self.params["max"] is not None:
            conditions.append("f.gmv_12m <= %s::numeric")
            params.append(str(self.params["max"]))
        return " AND ".join(conditions), tuple(params)

    def within_reach(self, reason):
        shortfall = _decimal(reason.shortfall)
        return shortfall is None or shortfall > 0

    def shortfall_text(self, reason):
        shortfall = _decimal(reason.shortfall)
        if shortfall is None or shortfall <= 0:
            return str(self.label)
        return _("%(amount)s more GMV over 12 months") % {"amount": self._gap_text(reason)}

    def _gap_text(self, reason: Reason) -> str:
        """The shortfall (or excess) between the amounts *as shown*, so the sentence adds up
        (¥10.1万 against ¥20万 is ¥9.9万 short, not ¥10万); the exact one where rounding
        would show none."""
        actual, shortfall = _decimal(reason.actual), _decimal(reason.shortfall)
        required = reason.required or {}
        bound = _decimal(
            required.get("min") if shortfall and shortfall > 0 else required.get("max")
        )
        if actual is None or shortfall is None or bound is None:
            return format_cny(abs(shortfall)) if shortfall is not None else "—"
        gap = abs(cny_as_shown(bound) - cny_as_shown(actual))
        return format_cny(gap if gap else abs(shortfall))

    def explain(self, reason):
        actual = format_cny(_decimal(reason.actual))
        required = reason.required or {}
        low, high = _decimal(required.get("min")), _decimal(required.get("max"))
        shortfall = _decimal(reason.shortfall)
        if reason.passed:
            return _("Trailing 12-month GMV of %(actual)s meets the requirement.") % {
                "actual": actual
            }
        if shortfall is not None and shortfall > 0:
            return _(
                "Trailing 12-month GMV is %(actual)s; at least %(minimum)s is required: "
                "%(shortfall)s more GMV over 12 months."
            ) % {"actual": actual, "minimum": format_cny(low), "shortfall": self._gap_text(reason)}
        return _(
            "Trailing 12-month GMV is %(actual)s, above the program's ceiling of %(maximum)s "
            "(%(excess)s over)."
        ) % {"actual": actual, "maximum": format_cny(high), "excess": self._gap_text(reason)}


@register
class YoyGrowthAtLeast(_AtLeast):
    type = "yoy_growth_at_least"
    actionable = True
    label = gettext_lazy("Year-on-year GMV growth at least")
    fact = "yoy_growth"
    # Growth is a ratio without a ceiling: 1 is +100 %; -1 (all sales lost) is the floor.
    minimum, maximum = MIN_GROWTH, MAX_GROWTH

    def explain(self, reason):
        values = _percent_values(reason)
        if reason.actual is None:
            return _("No GMV in the prior 12 months, so growth cannot be measured yet.")
        if reason.passed:
            return _("GMV grew %(actual)s year on year (at least %(required)s needed).") % values
        return (
            _(
                "GMV grew %(actual)s year on year; %(required)s is required "
                "(%(shortfall)s percentage points short)."
            )
            % values
        )

    def shortfall_text(self, reason):
        return _("%(points)s percentage points more growth") % {"points": shortfall_points(reason)}


@register
class LiveShareAtLeast(_AtLeast):
    type = "live_share_at_least"
    actionable = True
    label = gettext_lazy("Live-stream share of GMV at least")
    fact = "live_share"

    def explain(self, reason):
        values = _percent_values(reason)
        if reason.actual is None:
            return _("No GMV in the last 12 months, so the live-stream share is unknown.")
        if reason.passed:
            return _("Live streams brought %(actual)s of GMV (at least %(required)s needed).") % (
                values
            )
        return (
            _(
                "Live streams brought %(actual)s of GMV; %(required)s is required "
                "(%(shortfall)s percentage points more needed)."
            )
            % values
        )

    def shortfall_text(self, reason):
        if reason.actual is None:
            return _("sales, some of them through live streams")
        return _("%(points)s percentage points more live-stream share") % {
            "points": shortfall_points(reason)
        }


@register
class LiveSessionsAtLeast(_AtLeast):
    type = "live_sessions_at_least"
    actionable = True
    label = gettext_lazy("Live sessions in the last 90 days at least")
    fact = "live_sessions_90d"
    params_allowed = ("min", "days")

    def clean(self, params):
        days = params.get("days", 90)
        if isinstance(days, bool) or days != 90:
            raise CriterionError(
                _(
                    "live_sessions_at_least: only a 90-day window is supported "
                    "(metrics are monthly)."
                ),
                code="out_of_range",
                param="days",
            )
        return {"min": self._whole(params, "min", maximum=MAX_SESSIONS), "days": 90}

    decimal = False

    def judge(self, actual):
        required = self.params["min"]
        passed = actual >= required
        return Reason(self.type, passed, actual, required, None if passed else required - actual)

    def passed_sql(self):
        return "f.live_sessions_90d >= %s", (self.params["min"],)

    # The window is always 90 days: no field for it.
    param_fields = (
        ParamField(
            "min", "whole", gettext_lazy("at least (sessions)"), minimum=0, maximum=MAX_SESSIONS
        ),
    )

    def format_value(self, value):
        return Criterion.format_value(self, value)

    def sentence(self):
        return _("At least %(value)s live sessions in the last 90 days") % {
            "value": self.format_value(self.params["min"])
        }

    def required(self):
        return self.params["min"]

    def explain(self, reason):
        values = {
            "actual": reason.actual,
            "required": reason.required,
            "shortfall": reason.shortfall,
        }
        if reason.passed:
            return _("%(actual)s live sessions in the last 90 days (at least %(required)s).") % (
                values
            )
        return (
            _(
                "%(actual)s live sessions in the last 90 days; %(required)s are required: "
                "%(shortfall)s more sessions."
            )
            % values
        )

    def shortfall_text(self, reason):
        count = int(reason.shortfall or 0)
        return ngettext("%(count)s more live session", "%(count)s more live sessions", count) % {
            "count": count
        }


@register
class RefundRateAtMost(_AtMost):
    type = "refund_rate_at_most"
    actionable = True
    label = gettext_lazy("Average refund rate at most")
    fact = "refund_rate"

    def explain(self, reason):
        values = _percent_values(reason)
        if reason.actual is None:
            return _("No sales in the last 12 months, so the refund rate is unknown.")
        if reason.passed:
            return _("Average refund rate %(actual)s (at most %(required)s allowed).") % values
        return (
            _(
                "Average refund rate is %(actual)s; at most %(required)s is allowed "
                "(%(shortfall)s percentage points lower needed)."
            )
            % values
        )

    def shortfall_text(self, reason):
        if reason.actual is None:
            return _("sales over the last 12 months")
        return _("a refund rate %(points)s percentage points lower") % {
            "points": shortfall_points(reason)
        }


class _AgeCriterion(Criterion):
    params_allowed = ("months",)
    param_fields = (
        ParamField("months", "whole", gettext_lazy("months"), minimum=0, maximum=MAX_MONTHS),
    )

    def clean(self, params):
        return {"months": self._whole(params, "months", maximum=MAX_MONTHS)}

    def format_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return ngettext("%(months)s month", "%(months)s months", value) % {
                "months": number_format(value, force_grouping=True)
            }
        return str(value)

    def sentence(self):
        months = self.params["months"]
        values = {"months": number_format(months, force_grouping=True)}
        if self.type == "store_age_at_most":
            return (
                ngettext(
                    "The store is at most %(months)s month old",
                    "The store is at most %(months)s months old",
                    months,
                )
                % values
            )
        if self.type == "store_age_at_least":
            return (
                ngettext(
                    "The store is at least %(months)s month old",
                    "The store is at least %(months)s months old",
                    months,
                )
                % values
            )
        return (
            ngettext(
                "Returned to the platform within the last %(months)s month",
                "Returned to the platform within the last %(months)s months",
                months,
            )
            % values
        )


@register
class StoreAgeAtMost(_AgeCriterion):
    type = "store_age_at_most"
    label = gettext_lazy("Store age at most (months)")
    fact = "store_age_months"

    def judge(self, actual):
        required = self.params["months"]
        passed = actual <= required
        return Reason(self.type, passed, actual, required, None if passed else actual - required)

    def passed_sql(self):
        return "f.store_age_months <= %s", (self.params["months"],)

    def explain(self, reason):
        values = {"actual": reason.actual, "required": reason.required}
        if reason.passed:
            return _("The store is %(actual)s months old (at most %(required)s).") % values
        return (
            _(
                "The store is %(actual)s months old; the program is for stores of at most "
                "%(required)s months."
            )
            % values
        )


@register
class StoreAgeAtLeast(_AgeCriterion):
    type = "store_age_at_least"
    label = gettext_lazy("Store age at least (months)")
    fact = "store_age_months"

    def judge(self, actual):
        required = self.params["months"]
        passed = actual >= required
        return Reason(self.type, passed, actual, required, None if passed else required - actual)

    def passed_sql(self):
        return "f.store_age_months >= %s", (self.params["months"],)

    def explain(self, reason):
        values = {"actual": reason.actual, "required": reason.required}
        if reason.passed:
            return _("The store is %(actual)s months old (at least %(required)s).") % values
        return _(
            "The store is %(actual)s months old; %(required)s months are required: "
            "%(shortfall)s more months."
        ) % {**values, "shortfall": reason.shortfall}


@register
class ReturnedWithin(_AgeCriterion):
    type = "returned_within"
    label = gettext_lazy("Returned to the platform within (months)")
    fact = "months_since_return"

    def judge(self, actual):
        required = self.params["months"]
        if actual is None:
            return Reason(self.type, False, None, required)
        passed = actual <= required
        return Reason(self.type, passed, actual, required, None if passed else actual - required)

    def passed_sql(self):
        return "COALESCE(f.months_since_return <= %s, false)", (self.params["months"],)

    def explain(self, reason):
        values = {"actual": reason.actual, "required": reason.required}
        if reason.actual is None:
            return _("The merchant has not returned to the platform after leaving it.")
        if reason.passed:
            return _("Returned to the platform %(actual)s months ago (within %(required)s).") % (
                values
            )
        return (
            _(
                "Returned to the platform %(actual)s months ago; the program is for returns within "
                "%(required)s months."
            )
            % values
        )


# Categorical criteria --------------------------------------------------------------------------
class _In(Criterion):
    """The fact is one of the listed values of ``choices``."""

    fact: ClassVar[str]
    param: ClassVar[str]
    choices: ClassVar[type[models.TextChoices]]
    textual = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.params_allowed = (cls.param,)
        if "param_fields" not in cls.__dict__:
            kind = "codes" if getattr(cls, "choices", None) is not None else "categories"
            cls.param_fields = (
                ParamField(
                    cls.param, kind, gettext_lazy("one of"), choices=getattr(cls, "choices", None)
                ),
            )

    def format_value(self, value):
        return self.display(value)

    def sentence(self):
        values = [self.display(value) for value in self.params[self.param]]
        if len(values) == 1:
            return _("%(label)s is %(value)s") % {"label": self.label, "value": values[0]}
        return _("%(label)s is one of: %(values)s") % {
            "label": self.label,
            "values": ", ".join(values),
        }

    def clean(self, params):
        return {self.param: self._choices(params, self.param, self.choices.values)}

    def judge(self, actual):
        required = self.params[self.param]
        return Reason(self.type, actual in required, actual, required)

    def passed_sql(self):
        return f"COALESCE({self.column} = ANY(%s), false)", (list(self.params[self.param]),)

    def display(self, value: Any) -> str:
        if value is None:
            return "—"
        return str(self.choices(value).label) if value in self.choices.values else str(value)

    def explain(self, reason):
        values = {
            "label": self.label,
            "actual": self.display(reason.actual),
            "required": ", ".join(self.display(v) for v in reason.required or []),
        }
        if reason.passed:
            return _("%(label)s: %(actual)s qualifies.") % values
        if len(reason.required or []) == 1:
            return _("%(label)s: %(actual)s; %(required)s is required.") % values
        return _("%(label)s: %(actual)s is not one of %(required)s.") % values


@register
class BeltTierIn(_In):
    type = "belt_tier_in"
    label = gettext_lazy("Belt tier")
    fact = "belt_tier"
    param = "tiers"
    choices = BeltTier

    def display(self, value):
        return _("not yet classified") if value is None else super().display(value)


@register
class CategoryIn(_In):
    type = "category_in"
    label = gettext_lazy("Category")
    fact = "category"
    param = "categories"

    def clean(self, params):
        # Categories are data: whether each slug exists is for criteria_validate to ask.
        return {self.param: self._strings(params, self.param)}

    def display(self, value):
        # Categories are data: the reason holds slugs; the merchant reads their names.
        if not value:
            return "—"
        names = getattr(self, "category_names", None) or CategoryNames()
        self.category_names = names  # one lookup for the actual and every required slug
        return names.name(str(value))


@register
class MerchantTypeIn(_In):
    type = "merchant_type_in"
    label = gettext_lazy("Merchant type")
    fact = "merchant_type"
    param = "types"
    choices = MerchantType


@register
class BrandStageIn(_In):
    type = "brand_stage_in"
    label = gettext_lazy("Brand stage")
    fact = "brand_stage"
    param = "stages"
    choices = BrandStage


@register
class Smb(Criterion):
    type = "smb"
    label = gettext_lazy("Small or medium business")
    fact = "is_smb"
    params_allowed = ("value",)

    def clean(self, params):
        value = params.get("value", True)
        if not isinstance(value, bool):
            raise CriterionError(
                _("smb: “value” must be true or false."), code="invalid_type", param="value"
            )
        return {"value": value}

    def judge(self, actual):
        required = self.params["value"]
        return Reason(self.type, actual == required, actual, required)

    def passed_sql(self):
        return "f.is_smb = %s", (self.params["value"],)

    param_fields = (ParamField("value", "flag", gettext_lazy("small or medium business")),)

    def sentence(self):
        if self.params["value"]:
            return _("The merchant is a small or medium business")
        return _("The merchant is not a small or medium business")

    def explain(self, reason):
        if reason.passed:
            return (
                _("The merchant is a small or medium business.")
                if reason.actual
                else _("The merchant is not a small or medium business, as required.")
            )
        if reason.required:
            return _("The program is for small and medium businesses only.")
        return _("The program is not for small and medium businesses.")
