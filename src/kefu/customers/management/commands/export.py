"""`kefu export customers PATH.xlsx [--unmasked --reason TEXT] [--as USERNAME] [filters]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.customers.exporting import customers_export
from kefu.customers.management.cli import acting_user
from kefu.org.models import OrgUnit


class Command(BaseCommand):
    help = "Export the customers the acting user may see to an .xlsx file (logged)."

    def add_arguments(self, parser):
        parser.add_argument("entity", choices=["customers"])
        parser.add_argument("path", help="target .xlsx file")
        parser.add_argument("--unmasked", action="store_true", help="full phone / ID numbers")
        parser.add_argument("--reason", default="", help="why (required with --unmasked)")
        parser.add_argument("--as", dest="username", help="act as this user")
        parser.add_argument("--org-unit", help="only this org unit and its subtree (code)")
        parser.add_argument("--tier", help="only this service tier")
        parser.add_argument("--kind", choices=["individual", "gov_enterprise"])
        parser.add_argument("--q", help="search text, as in the customer list")

    def handle(self, *args, **options):
        actor = acting_user(options["username"])
        filters = {k: options[k] for k in ("tier", "kind", "q") if options.get(k)}
        if options["org_unit"]:
            unit = OrgUnit.objects.filter(code=options["org_unit"]).first()
            if unit is None:
                raise CommandError(
                    _("org unit %(code)s does not exist") % {"code": options["org_unit"]}
                )
            filters["org_unit"] = str(unit.pk)
        try:
            count = customers_export(
                actor=actor,
                path=options["path"],
                filters=filters,
                unmasked=options["unmasked"],
                reason=options["reason"],
            )
        except KefuError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Exported %(count)d customers to %(path)s (%(mode)s); recorded in the access log.")
            % {
                "count": count,
                "path": options["path"],
                "mode": _("unmasked") if options["unmasked"] else _("masked"),
            }
        )
