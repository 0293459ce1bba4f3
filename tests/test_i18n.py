"""The UI is Chinese first: every message has a Chinese translation, compiled and current."""

from pathlib import Path

import polib
from django.utils import translation

import kefu

LOCALE = Path(kefu.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_is_translated_to_chinese():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po if not e.translated()]
    assert untranslated == [], "run scripts/translations.py and translate these"


def _translations(catalogue) -> dict:
    return {
        e.msgid: (dict(e.msgstr_plural) if e.msgid_plural else e.msgstr)
        for e in catalogue
        if e.msgid and (e.msgstr or any(e.msgstr_plural.values()))
    }


def test_compiled_catalogue_matches_the_po_file():
    po = _translations(polib.pofile(str(LOCALE / "django.po")))
    mo = _translations(polib.mofile(str(LOCALE / "django.mo")))
    assert mo == po, "django.mo is stale: run scripts/translations.py"


def test_chinese_is_the_default_and_english_available(client, db):
    page = client.get("/login/")
    assert page["Content-Language"] == "zh-hans"
    with translation.override("en"):
        assert translation.gettext("Customers") == "Customers"
    with translation.override("zh-hans"):
        assert translation.gettext("Customers") == "客户"
