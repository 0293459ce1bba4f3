"""`kefu demo --customers N [--work-orders M] [--seed S]`: demo org (if empty), demo staff,
N customers and M work orders of history (with the demo routing units and rules)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.customers.demo import demo_customers_create
from kefu.customers.progress import rich_progress
from kefu.org.demo import DEMO_PASSWORD, org_demo_seed
from kefu.surveys.demo import demo_survey_answers
from kefu.workorders.demo import DEFAULT_DAYS, demo_work_orders_create


class Command(BaseCommand):
    help = "Seed the demo organisation (when empty), demo staff and N demo customers."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000, help="how many customers")
        parser.add_argument(
            "--work-orders", type=int, default=0, help="how many work orders of history"
        )
        parser.add_argument(
            "--work-order-days", type=int, default=DEFAULT_DAYS, help="over how many days until now"
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same → same)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        count, orders = options["customers"], options["work_orders"]
        if count < 0:
            raise CommandError(_("--customers must be 0 or more"))
        if orders < 0:
            raise CommandError(_("--work-orders must be 0 or more"))
        accounts = org_demo_seed()
        if accounts:
            self.stdout.write(_("Demo organisation created. Demo accounts:"))
            for account in accounts:
                self.stdout.write(f"  {account.username:<22} {account.role:<8} {account.unit}")
            self.stdout.write(
                _("Password of every demo account (demo only): %(password)s")
                % {"password": DEMO_PASSWORD}
            )
        else:
            self.stdout.write(_("Organisation already present; left unchanged."))
        show = not options["no_progress"] and options.get("verbosity", 1) > 0
        if count:
            try:
                with rich_progress(enabled=show) as progress:
                    result = demo_customers_create(
                        count=count, seed=options["seed"], progress=progress
                    )
            except KefuError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                _("%(count)d demo customers added in %(seconds).1f s.")
                % {"count": result.imported, "seconds": result.seconds}
            )
        if orders:
            self._work_orders(orders, options, show)
            answers = demo_survey_answers(seed=options["seed"])
            if answers:
                self.stdout.write(_("%(n)d demo survey answers added.") % {"n": answers})

    def _work_orders(self, count: int, options, show: bool) -> None:
        with rich_progress(enabled=show) as progress:
            result = demo_work_orders_create(
                count=count,
                seed=options["seed"],
                days=options["work_order_days"],
                progress=progress,
            )
        if result.accounts:
            self.stdout.write(_("Demo routing: maintenance centres, complaint expert seat:"))
            for account in result.accounts:
                self.stdout.write(f"  {account.username:<22} {account.role:<8} {account.unit}")
        self.stdout.write(
            _("%(count)d demo work orders (%(events)d events) added in %(seconds).1f s.")
            % {"count": result.created, "events": result.events, "seconds": result.seconds}
        )
