"""Money and rates as people read them, shared by every app's pages, console and messages.

Amounts are yuan (CNY) as ``Decimal``. Short forms count the way each language does: millions in
English, 万 and 亿 in Chinese.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.language import in_chinese

TEN_THOUSAND = Decimal("10000")
HUNDRED_MILLION = Decimal("100000000")
MILLION = Decimal("1000000")
BILLION = Decimal("1000000000")


def _short(value: Decimal, unit: Decimal) -> str:
    scaled = (value / unit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = number_format(scaled, decimal_pos=1, use_l10n=True, force_grouping=True)
    return text[:-2] if text.endswith(".0") else text


def format_cny(amount: Decimal | int | None) -> str:
    """``CNY 1.2 M`` / ``CNY 850,000`` in English, ``¥120万`` / ``¥85万`` / ``¥15亿`` in Chinese."""
    if amount is None:
        return "—"
    value = Decimal(amount)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if in_chinese():
        if value >= HUNDRED_MILLION:
            return f"{sign}¥{_short(value, HUNDRED_MILLION)}亿"
        if value >= TEN_THOUSAND:
            return f"{sign}¥{_short(value, TEN_THOUSAND)}万"
        return f"{sign}¥{number_format(value, decimal_pos=0, force_grouping=True)}"
    if value >= BILLION:
        return f"{sign}CNY {_short(value, BILLION)} bn"
    if value >= MILLION:
        return f"{sign}CNY {_short(value, MILLION)} M"
    return f"{sign}CNY {number_format(value, decimal_pos=0, force_grouping=True)}"


def format_cny_exact(amount: Decimal | None) -> str | None:
    """The whole amount with the locale's grouping, e.g. "CNY 2,500,000,000.00". ``None`` stays
    ``None`` so the console shows its empty-value marker."""
    if amount is None:
        return None
    return _("CNY %(amount)s") % {"amount": intcomma(amount)}


def format_ratio(ratio: Decimal | None, decimal_pos: int = 1) -> str | None:
    """A ratio (0.25) as a percentage ("25.0%") with the locale's decimal separator."""
    if ratio is None:
        return None
    # Rounded half up (18.75% reads 18.8%), as the criteria's sentences round it.
    percent = (Decimal(ratio) * 100).quantize(Decimal(1).scaleb(-decimal_pos), ROUND_HALF_UP)
    return _("%(percent)s%%") % {"percent": number_format(percent, decimal_pos)}


def format_percent(ratio: Decimal | None, places: int = 1) -> str:
    """Like :func:`format_ratio`, with a dash for an unknown ratio (for sentences)."""
    return format_ratio(ratio, places) or "—"


def cny_axis_unit(maximum: Decimal | int | None) -> tuple[Decimal, str]:
    """The unit a chart's money axis counts in, for amounts up to ``maximum``, in the units
    :func:`format_cny` reads them in: ``(10000, "¥万")`` or ``(100000000, "¥亿")`` in Chinese,
    ``(1000000, "CNY M")`` or ``(1000000000, "CNY bn")`` in English. Ticks are the amounts
    divided by the first."""
    value = abs(Decimal(maximum or 0))
    if in_chinese():
        return (HUNDRED_MILLION, "¥亿") if value >= HUNDRED_MILLION else (TEN_THOUSAND, "¥万")
    return (BILLION, "CNY bn") if value >= BILLION else (MILLION, "CNY M")


def cny_as_shown(amount: Decimal | int) -> Decimal:
    """The amount :func:`format_cny` shows, as a number: ``¥10.1万`` is 101,000 and
    ``CNY 1.2 M`` is 1,200,000. A difference of two amounts *as shown* is what makes a sentence
    add up ("¥10.1万; ¥20万 required: ¥9.9万 more", not "¥10万 more")."""
    value = Decimal(amount)
    sign = -1 if value < 0 else 1
    value = abs(value)
    units = (HUNDRED_MILLION, TEN_THOUSAND) if in_chinese() else (BILLION, MILLION)
    for unit in units:
        if value >= unit:
            shown = (value / unit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) * unit
            return sign * shown
    return sign * value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
