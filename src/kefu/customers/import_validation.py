"""Running the customer import's validation and collecting its problems.

The checks themselves are in import_check.py (plain data, no database); here they are set
up for an actor (org units in scope, tier thresholds), run in this process or in a child
process for big inputs, and their problems kept (capped) and written to the rejects CSV.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core import tabular
from kefu.core.errors import KefuError
from kefu.core.tabular_messages import file_message, row_message
from kefu.customers import services
from kefu.customers.import_check import (
    REJECT_REASON_HEADER,
    ImportRules,
    validation_stream,
)
from kefu.customers.models import CustomerKind
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for

MAX_KEPT_PROBLEMS = 10_000  # messages kept and returned; the rejects file gets every row


class ImportRejected(KefuError):
    """The file, or some of its rows, failed validation; nothing was imported.

    `extra["problems"]` lists the messages (capped), `extra["problem_count"]` counts all.
    """

    code = "import_rejected"
    default_message = gettext_lazy("The file has problems; nothing was imported.")

    @classmethod
    def with_problems(cls, problems: list[str], count: int | None = None) -> ImportRejected:
        count = len(problems) if count is None else count
        if count == 1:
            message = problems[0]
        else:
            message = _("%(count)d problems; nothing was imported. First: %(first)s") % {
                "count": count,
                "first": problems[0],
            }
        return cls(message, extra={"problems": problems, "problem_count": count})


# --- preparing ---------------------------------------------------------------------------


def import_rules(*, actor, default_unit_code: str | None) -> ImportRules:
    units = list(OrgUnit.objects.filter(is_active=True))
    scope = scope_for(actor) if actor is not None else None
    allowed = {
        u.code: (u.pk, scope is None or scope.covers_unit(u)) for u in units
    }  # actor None: the system (demo data) may use any unit
    default_unit = None
    if default_unit_code:
        found = allowed.get(default_unit_code)
        if found is None:
            raise ImportRejected.with_problems(
                [file_message(_("org unit %(code)s does not exist") % {"code": default_unit_code})]
            )
        if not found[1]:
            raise ImportRejected.with_problems(
                [
                    file_message(
                        _("org unit %(code)s is outside your data scope")
                        % {"code": default_unit_code}
                    )
                ]
            )
        default_unit = found[0]
    return ImportRules(
        units=allowed,
        default_unit=default_unit,
        thresholds={k: services.tier_thresholds(k) for k in CustomerKind.values},
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )


def validation_messages(source: tuple, rules: ImportRules, *, parallel: bool) -> Iterator[tuple]:
    """The validation stream, in this process or in a child process for big inputs."""
    if not parallel:
        yield from validation_stream(source, rules)
        return
    from kefu.customers import import_worker

    child = subprocess.Popen(
        [sys.executable, "-m", "kefu.customers.import_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    finished = False
    try:
        pickle.dump((source, asdict(rules)), child.stdin)
        child.stdin.close()
        for message in import_worker.read_frames(child.stdout):
            finished = message[0] in ("end", "fatal", "crash")
            yield message
            if finished:
                break
        if not finished:
            yield ("crash", _("the checking process stopped unexpectedly"))
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.wait(timeout=30)


# --- collecting problems ----------------------------------------------------------------


class ProblemLog:
    """Problem messages (capped) and, when asked for, the rejects CSV (every row)."""

    def __init__(self, rejects_path, header: list[str] | None):
        self.messages: list[str] = []
        self.count = 0
        self.rows = 0
        self.path = rejects_path
        self.writer = None
        self.fh = None
        if rejects_path is not None:
            self.writer, self.fh = tabular.csv_writer_for_excel(rejects_path)
            self.writer.writerow([*(header or []), REJECT_REASON_HEADER])

    def add(self, row_no: int, problems: list, cells: list[str] | None) -> None:
        self.rows += 1
        messages = [row_message(row_no, column, message) for column, message in problems]
        self.count += len(messages)
        room = MAX_KEPT_PROBLEMS - len(self.messages)
        if room > 0:
            self.messages.extend(messages[:room])
        if self.writer is not None:
            reason = "；".join(f"{column}: {message}" for column, message in problems)
            self.writer.writerow([tabular.escape_formula(c) for c in (cells or [])] + [reason])

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
