"""`kefu import customers PATH [--skip-invalid] [--rejects PATH] [--org-unit CODE] [--as USER]`.

Exit status 0 when everything (or, with --skip-invalid, every valid row) was imported;
1 when the file was rejected and nothing was imported, printing one line per problem.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.customers.import_validation import ImportRejected
from kefu.customers.importing import customers_import
from kefu.customers.management.cli import acting_user
from kefu.customers.progress import rich_progress


class Command(BaseCommand):
    help = "Import customers from an .xlsx or .csv file (UTF-8 or GBK)."

    def add_arguments(self, parser):
        parser.add_argument("entity", choices=["customers"])
        parser.add_argument("path")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows; write the others with reasons to the rejects file",
        )
        parser.add_argument("--rejects", help="rejects CSV (default: <file>.rejects.csv)")
        parser.add_argument("--org-unit", help="org unit code for rows without one")
        parser.add_argument("--as", dest="username", help="act as this user")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        path = options["path"]
        if not os.path.isfile(path):
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        actor = acting_user(options["username"])
        rejects = options["rejects"]
        if options["skip_invalid"] and not rejects:
            rejects = os.path.splitext(path)[0] + ".rejects.csv"
        show = not options["no_progress"] and options.get("verbosity", 1) > 0
        try:
            with rich_progress(enabled=show) as progress:
                result = customers_import(
                    actor=actor,
                    path=path,
                    skip_invalid=options["skip_invalid"],
                    rejects_path=rejects,
                    progress=progress,
                    default_unit_code=options["org_unit"],
                )
        except ImportRejected as exc:
            problems = exc.extra.get("problems") or [str(exc)]
            for problem in problems:
                self.stderr.write(str(problem))
            count = exc.extra.get("problem_count", len(problems))
            if count > len(problems):
                self.stderr.write(
                    _("… and %(more)d more problems.") % {"more": count - len(problems)}
                )
            raise CommandError(_("Nothing was imported."), returncode=1) from exc
        except KefuError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Imported %(imported)d of %(total)d rows in %(seconds).1f s.")
            % {"imported": result.imported, "total": result.total_rows, "seconds": result.seconds}
        )
        if result.rejected:
            self.stdout.write(
                _("%(rejected)d rows rejected; reasons in %(path)s")
                % {"rejected": result.rejected, "path": result.rejects_path}
            )
