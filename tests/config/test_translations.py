"""The Simplified Chinese catalogue: complete, well-formed, compiled, and in use.

The compiled ``django.mo`` is committed (a newcomer's machine has no gettext), so these tests
read the ``.po`` with a small parser of their own and check that Django, reading the ``.mo``,
answers every entry with the ``.po``'s translation: a ``.mo`` older than its ``.po`` fails here.
Run ``make messages`` after adding or changing a translatable string.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from belts.choices import BeltTier
from belts.models import IndustrialBelt
from merchants.models import Merchant
from programs.criteria import explain

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

HAN = re.compile(r"[\u4e00-\u9fff]")
# A Python %-placeholder, named or not, as gettext's python-format checks them ("%%" is literal).
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index 0 when not plural
    flags: set[str] = field(default_factory=set)

    @property
    def translations(self) -> list[str]:
        return [self.msgstr[index] for index in sorted(self.msgstr)]


def _unquote(text: str) -> str:
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted PO string: {text!r}")
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """The active entries of a .po file, the header (msgid "") first. Obsolete ("#~") and
    previous-msgid ("#|") lines are comments here."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    keyword = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                if current is None or target is not None:
                    current, target = Entry(line=number), None
                    entries.append(current)
                current.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        match = keyword.match(line)
        if match:
            name, index, text = match.group(1), match.group(2), _unquote(match.group(3))
            if current is None or (name in {"msgctxt", "msgid"} and current.msgstr):
                current = Entry(line=number)
                entries.append(current)
            target = (name, int(index) if index is not None else None)
            _append(current, target, text)
        elif line.startswith('"') and current is not None and target is not None:
            _append(current, target, _unquote(line))
        else:
            raise AssertionError(f"{path.name}:{number}: cannot read {raw!r}")
    return entries


def _append(entry: Entry, target: tuple[str, int | None], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index or 0] = entry.msgstr.get(index or 0, "") + text
    elif name == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    elif name == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    else:
        entry.msgid += text


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing: run `make messages`"
    return read_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    """Every translatable entry, without the header."""
    header, *rest = po_entries
    assert header.msgid == ""
    return rest


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


# The .po file ------------------------------------------------------------------------------------
def test_the_header_declares_simplified_chinese_and_one_plural_form(po_entries):
    header = po_entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags, "msgfmt skips a fuzzy header's plural forms and charset"
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == "zh_Hans"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"


def test_the_catalogue_is_not_empty(messages):
    assert len(messages) > 400


def test_every_entry_is_translated_and_none_is_fuzzy(messages):
    untranslated = [
        f"line {entry.line}: {entry.msgid!r}"
        for entry in messages
        if not entry.msgstr or not all(text.strip() for text in entry.msgstr.values())
    ]
    fuzzy = [f"line {entry.line}: {entry.msgid!r}" for entry in messages if "fuzzy" in entry.flags]
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy entries (msgfmt leaves them out):\n" + "\n".join(fuzzy)


def test_plural_entries_have_exactly_the_one_chinese_form(messages):
    plurals = [entry for entry in messages if entry.msgid_plural is not None]
    assert plurals
    for entry in plurals:
        assert set(entry.msgstr) == {0}, f"line {entry.line}: {entry.msgid!r}"


def test_translations_keep_every_placeholder(messages):
    """What ``msgfmt --check-format`` checks, for machines without gettext: the same named
    placeholders (and no stray ``%``) in the translation as in the source."""
    wrong = []
    for entry in messages:
        if "python-format" not in entry.flags:
            if any("%(" in text for text in entry.translations):
                wrong.append(f"line {entry.line}: a placeholder where the source has none")
            continue
        expected = _placeholders(entry.msgid)
        if entry.msgid_plural is not None:
            # One Chinese form stands for both English ones: it may use either's placeholders.
            allowed = [expected, _placeholders(entry.msgid_plural)]
        else:
            allowed = [expected]
        for text in entry.translations:
            if _placeholders(text) not in allowed:
                wrong.append(f"line {entry.line}: {entry.msgid!r} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_chinese_text_uses_chinese_punctuation(messages):
    """No English full stop or colon right after a Chinese character: the catalogue reads as
    Chinese, not as English words swapped for Chinese ones."""
    stray = re.compile(r"[\u4e00-\u9fff][.:;,?!](?:\s|$)")
    wrong = [
        f"line {entry.line}: {text!r}"
        for entry in messages
        for text in entry.translations
        if stray.search(text)
    ]
    assert not wrong, "\n".join(wrong)


# The compiled catalogue --------------------------------------------------------------------------
def test_the_compiled_catalogue_is_committed():
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: run `make messages`"


def test_django_answers_every_entry_with_the_po_translation(messages):
    """Fails when ``django.mo`` is older than ``django.po``: an entry added or changed in the .po
    but not compiled comes back in English or with the old words."""
    stale = []
    with translation.override("zh-hans"):
        for entry in messages:
            if entry.msgid_plural is not None:
                for n in (1, 2):
                    if entry.msgctxt is None:
                        found = translation.ngettext(entry.msgid, entry.msgid_plural, n)
                    else:
                        found = translation.npgettext(
                            entry.msgctxt, entry.msgid, entry.msgid_plural, n
                        )
                    if found != entry.msgstr[0]:
                        stale.append(f"line {entry.line}: {entry.msgid!r} (n={n}) -> {found!r}")
            else:
                if entry.msgctxt is None:
                    found = translation.gettext(entry.msgid)
                else:
                    found = translation.pgettext(entry.msgctxt, entry.msgid)
                if found != entry.msgstr[0]:
                    stale.append(f"line {entry.line}: {entry.msgid!r} -> {found!r}")
    assert not stale, (
        "django.mo does not match django.po; run `make messages` (or compilemessages):\n"
        + "\n".join(stale)
    )


# Chinese where it shows ---------------------------------------------------------------------------
def test_model_names_and_choices_are_chinese():
    with translation.override("zh-hans"):
        names = {
            "Merchant": str(Merchant._meta.verbose_name),
            "IndustrialBelt": str(IndustrialBelt._meta.verbose_name),
            "BeltTier.TEN_BILLION": str(BeltTier.TEN_BILLION.label),
        }
    for what, name in names.items():
        assert HAN.search(name), f"{what}: {name!r}"
    assert names["BeltTier.TEN_BILLION"] == "百亿产业带"


def test_a_failing_criterion_is_explained_in_chinese():
    reason = {
        "type": "gmv_between",
        "passed": False,
        "actual": "800000.00",
        "required": {"min": "2000000", "max": None},
        "shortfall": "1200000.00",
    }

    with translation.override("zh-hans"):
        message = explain(reason)

    assert HAN.search(message), message
    # The figures, in units of 10,000 yuan, and no English left.
    assert "¥80万" in message
    assert "¥200万" in message
    assert "¥120万" in message
    assert not re.search(r"[A-Za-z]{3,}", message.replace("GMV", "")), message


def _console_header_in_chinese() -> str:
    # The header the project gives the console (config/urls.py), not Django's default one.
    with translation.override("zh-hans"):
        header = translation.gettext("Belt Ops console")
    assert HAN.search(header), header
    return header


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT_LANGUAGE": "zh-hans"},
        {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.8"},  # what a browser in China sends
    ],
    ids=["zh-hans", "zh-CN"],
)
def test_the_console_login_page_follows_accept_language(client, headers):
    header = _console_header_in_chinese()

    response = client.get("/console/login/", **headers)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert header in response.content.decode()


@pytest.mark.django_db
def test_the_console_login_page_follows_the_language_cookie(client):
    header = _console_header_in_chinese()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get("/console/login/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert header in response.content.decode()


@pytest.mark.django_db
def test_the_console_stays_english_by_default(client):
    response = client.get("/console/login/", HTTP_ACCEPT_LANGUAGE="en")

    assert "Belt Ops console" in response.content.decode()
