"""The `kefu` command: Django's management commands with Kefu's settings.

kefu import customers PATH      kefu export customers PATH.xlsx
kefu demo --customers N         kefu setup / kefu serve
kefu check --deploy             kefu migrate, kefu createsuperuser, …
"""

from __future__ import annotations

import os
import sys

# Commands spelled with a dash on the command line, as the docs write them.
ALIASES = {"business-time": "business_time"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    execute_from_command_line(["kefu", *args])


if __name__ == "__main__":
    main()
