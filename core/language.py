"""The active language, as the pages, messages and figures need it."""

from django.utils.translation import get_language


def in_chinese() -> bool:
    """Whether the active language is Chinese (``zh-hans`` and any other ``zh`` variant)."""
    return (get_language() or "").startswith("zh")


def localized_name(name: str, name_zh: str) -> str:
    """The Chinese name when the active language is Chinese and there is one, else the name."""
    return name_zh if name_zh and in_chinese() else name
