"""The `kefu` command: Django's management commands with Kefu's settings.

kefu import customers PATH      kefu export customers PATH.xlsx
kefu demo --customers N         kefu setup / kefu serve
kefu check --deploy             kefu migrate, kefu createsuperuser, …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
