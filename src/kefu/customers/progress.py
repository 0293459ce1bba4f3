"""A rich progress bar for the import/export/demo commands (phase → one bar each)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from kefu.customers.importing import PHASE_FINISH, PHASE_VALIDATE, PHASE_WRITE, ProgressFn


def phase_label(phase: str) -> str:
    return {
        PHASE_VALIDATE: _("Checking"),  # 校验
        PHASE_WRITE: _("Importing"),  # 导入
        PHASE_FINISH: _("Finishing"),  # 收尾
    }.get(phase, phase)


@contextmanager
def rich_progress(stream=None, *, enabled: bool = True) -> Iterator[ProgressFn | None]:
    """Yield a ProgressFn drawing one bar per phase on `stream` (stderr by default)."""
    if not enabled:
        yield None
        return
    console = Console(file=stream, stderr=stream is None)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=console, transient=False) as bar:

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase_label(phase), total=total or None)
            bar.update(tasks[phase], completed=done, total=total or None)

        yield update
