"""Money shown the way each language counts it: millions in English, 万 and 亿 in Chinese."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.formats import number_format

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
    if (translation.get_language() or "en").startswith("zh"):
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


def format_percent(ratio: Decimal | None, places: int = 1) -> str:
    if ratio is None:
        return "—"
    return f"{number_format(Decimal(ratio) * 100, decimal_pos=places)}%"
