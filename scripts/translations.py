"""Refresh the Chinese translations: extract msgids, merge given translations, compile.

    .venv/bin/python scripts/translations.py [extra.po ...]

Extra PO files (e.g. from a helper) fill msgids that are still untranslated; existing
translations are kept. Exits non-zero listing any msgid left without Chinese.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "src/kefu/locale/zh_Hans/LC_MESSAGES/django.po"


def main(extra: list[str]) -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kefu.settings"}
    (ROOT / "src/kefu/locale").mkdir(exist_ok=True)
    subprocess.run(
        [str(ROOT / ".venv/bin/kefu"), "makemessages", "-l", "zh_Hans", "--no-obsolete",
         "--no-location", "-i", "migrations/*"],
        cwd=ROOT / "src/kefu", env=env, check=True,
    )
    po = polib.pofile(str(PO))
    known: dict[str, str] = {}
    known_plural: dict[str, dict] = {}
    for path in extra:
        for e in polib.pofile(path):
            if e.msgstr:
                known[e.msgid] = e.msgstr
            if e.msgid_plural and any(e.msgstr_plural.values()):
                known_plural[e.msgid] = dict(e.msgstr_plural)
    for entry in po:
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = None
            entry.msgstr = ""
            entry.msgstr_plural = {k: "" for k in entry.msgstr_plural}
        if entry.msgid_plural:
            if not any(entry.msgstr_plural.values()) and entry.msgid in known_plural:
                entry.msgstr_plural = known_plural[entry.msgid]
        elif not entry.msgstr and entry.msgid in known:
            entry.msgstr = known[entry.msgid]
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    subprocess.run([str(ROOT / ".venv/bin/kefu"), "compilemessages", "-l", "zh_Hans"],
                   cwd=ROOT / "src/kefu", env=env, check=True)
    missing = [
        e.msgid
        for e in po
        if (not any(e.msgstr_plural.values()) if e.msgid_plural else not e.msgstr)
    ]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
