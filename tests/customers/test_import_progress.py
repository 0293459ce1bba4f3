"""The import's progress counts rows of the file, not bytes: a 4-row file says 4/4."""

from __future__ import annotations

import io

import pytest

from kefu.customers.importing import PHASE_VALIDATE, PHASE_WRITE, customers_import
from kefu.customers.progress import rich_progress
from tests.customers.test_import import row, write_csv, write_xlsx


def _import(admin_user, path):
    reports: list[tuple[str, int, int]] = []
    result = customers_import(
        actor=admin_user, path=path, progress=lambda *args: reports.append(args)
    )
    return result, reports


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_a_four_row_file_counts_four_rows(admin_user, org, tmp_path, writer):
    suffix = ".csv" if writer is write_csv else ".xlsx"
    rows = [row(f"K00{i}", address="中山路" + "很长的地址" * 20) for i in range(1, 5)]
    path = writer(tmp_path / f"four{suffix}", rows)
    result, reports = _import(admin_user, path)
    assert result.imported == 4
    checking = [(done, total) for phase, done, total in reports if phase == PHASE_VALIDATE]
    writing = [(done, total) for phase, done, total in reports if phase == PHASE_WRITE]
    assert checking[-1] == (4, 4)
    assert all(total in (0, 4) for _, total in checking), checking
    assert writing[-1] == (4, 4)
    assert all(total in (0, 4) for _, total in writing), writing


def test_the_progress_bar_shows_rows(admin_user, org, tmp_path):
    path = write_csv(tmp_path / "four.csv", [row(f"K00{i}") for i in range(1, 5)])
    out = io.StringIO()
    with rich_progress(out) as progress:
        customers_import(actor=admin_user, path=path, progress=progress)
    text = out.getvalue()
    assert "4/4" in text
    assert f"{path.stat().st_size}/{path.stat().st_size}" not in text
