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


def test_compiled_catalogue_matches_the_po_file():
    po = {e.msgid: e.msgstr for e in polib.pofile(str(LOCALE / "django.po")) if e.msgstr}
    mo = {e.msgid: e.msgstr for e in polib.mofile(str(LOCALE / "django.mo")) if e.msgid}
    assert mo == po, "django.mo is stale: run scripts/translations.py"


def test_chinese_is_the_default_and_english_available(client, db):
    page = client.get("/login/")
    assert page["Content-Language"] == "zh-hans"
    with translation.override("en"):
        assert translation.gettext("Customers") == "Customers"
    with translation.override("zh-hans"):
        assert translation.gettext("Customers") == "客户"
