"""English left on a page rendered in Chinese: the words a reader sees that no catalogue translated.

``untranslated(html, allowed=...)`` reads a page as a reader meets it: the text of its elements
(not scripts, styles, code or what a user typed into a form), the visible attributes (``title``,
``placeholder``, ``aria-label``, ``alt``, a button's ``value``), and returns each run of English
words in which some word is neither a proper name (``ALLOWED``) nor in ``allowed`` (the data of
the test's world: shop names, logins, codes). A run is what stands between two non-Latin
characters, so "每页 100 条" has none and "Application started." is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Names that are the same in every language: the product, formats, units, brands and the
# platforms' own names; "English" as the language switcher names that language, in itself; the
# keys of the criteria's JSON format, which help texts quote.
ALLOWED = frozenset(
    word.lower()
    for word in [
        # Encodings and systems, as an import's help names them.
        "UTF-8",
        "GBK",
        "GB18030",
        "Windows",
        "Belt",
        "Ops",
        "BeltOps",
        "API",
        "APIs",
        "CSV",
        "XLSX",
        "Excel",
        "Prometheus",
        "JSON",
        "GMV",
        "YoY",
        "SMB",
        "SLA",
        "OEM",
        "ERP",
        "ID",
        "IDs",
        "URL",
        "HTTP",
        "HTTPS",
        "English",
        "Chart.js",
        "Chart",
        "js",
        "OpenAPI",
        "Swagger",
        "ReDoc",
        "REST",
        "Webhook",
        "HMAC",
        "SHA",
        "SHA256",
        "UTC",
        "CST",
        "CNY",
        "RMB",
        "Taobao",
        "Tmall",
        "Alibaba",
        "Douyin",
        "Kuaishou",
        "JD",
        "Pinduoduo",
        "WeChat",
        "Django",
        "Control",
        "Command",
        "Mac",
        "LDAP",
        "am",
        "pm",
        "AM",
        "PM",
        "type",
        "params",
    ]
)

# Latin tokens that are not words: codes and figures ("v3", "A1", "2026-01"), a single letter
# (the N of "前 N 名").
_NOT_A_WORD = re.compile(r"^(?:[A-Za-z]?\d[\w.-]*|[A-Za-z]\d+|[A-Za-z])$")
# Django's own admin icons say "True", "False", "None" or "Search" in their ``alt``, whatever the
# language: Django's business, not a catalogue's.
_DJANGO_ICONS = "/static/admin/img/"
_LATIN_RUN = re.compile(
    r"[A-Za-z][A-Za-z0-9'’.&/_-]*(?:[ \t\n\r,;:()\"“”'!?·—-]+[A-Za-z0-9][A-Za-z0-9'’.&/_-]*)*"  # noqa: RUF001
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’_-]*")  # noqa: RUF001

_SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "textarea", "template", "noscript", "svg"}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
_VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in _SKIPPED_ELEMENTS or values.get("translate") == "no":
            if tag not in _VOID:
                self._skipping.append(tag)
            return
        if self._skipping:
            return
        for name in _VISIBLE_ATTRIBUTES:
            if name == "alt" and _DJANGO_ICONS in (values.get("src") or ""):
                continue
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button", "reset"}:
            self.texts.append(values.get("value") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            return
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        # JSON shown as it is stored (a rule set's criteria) is code, not words.
        if not self._skipping and data.strip() and not data.lstrip().startswith(("[", "{")):
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    """The pieces of text a reader of ``html`` sees (or hears, for the labelling attributes)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.texts


def data_words(values: Iterable[str]) -> set[str]:
    """The words of ``values`` (names, logins, codes of the test's data), lowercased, for
    ``allowed``."""
    return {word.lower() for value in values if value for word in _WORD.findall(str(value))}


def untranslated(html: str, *, allowed: Iterable[str] = ()) -> list[str]:
    """The runs of English in ``html`` that hold a word neither in ``ALLOWED`` nor in
    ``allowed`` (lowercase words), each once, in the order of the page."""
    known = ALLOWED | {word.lower() for word in allowed}
    found: dict[str, None] = {}
    for text in visible_texts(html):
        for run in _LATIN_RUN.findall(text):
            words = [w for w in _WORD.findall(run) if not _NOT_A_WORD.match(w)]
            if any(word.lower().strip("'’") not in known for word in words):  # noqa: RUF001
                found.setdefault(" ".join(run.split()), None)
    return list(found)
