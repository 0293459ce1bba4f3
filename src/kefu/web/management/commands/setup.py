"""`kefu setup`: make the secret key, migrate, collect static files, and on first start seed
the demo and an admin.

Without KEFU_SECRET_KEY the key is generated once and kept 0600 in the data dir
(`secret_key`); settings.py only reads it, so importing the settings writes no file.

The administrator's generated password is printed once and kept 0600 in the data dir
(`admin_password`: the password alone, one line; the account is `admin`), so an operator who
missed the console can still read it there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from kefu.core.secret_key import ensure_secret_key

ADMIN_USERNAME = "admin"


def load_secret_key() -> None:
    """Without KEFU_SECRET_KEY: generate the data dir's key if missing, and use it here too.

    This process loaded the settings before the file existed (SECRET_KEY is empty, and
    Django raises on reading an empty one); every later process reads the file."""
    try:
        if settings.SECRET_KEY:
            return
    except ImproperlyConfigured:
        pass
    settings.SECRET_KEY = ensure_secret_key(Path(settings.DATA_DIR))


class Command(BaseCommand):
    help = "Prepare the database and static files; seed demo data and an admin on first start."

    def add_arguments(self, parser):
        from kefu.workorders.demo import DEFAULT_COUNT

        parser.add_argument("--no-demo", action="store_true", help="do not seed demo data")
        parser.add_argument("--demo-customers", type=int, default=2000)
        parser.add_argument(
            "--demo-work-orders",
            type=int,
            default=DEFAULT_COUNT,
            help="work orders of demo history, lived through the real services (~50 ms each)",
        )

    def handle(self, *args, **options):
        load_secret_key()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from kefu.org.models import OrgUnit

        if not OrgUnit.objects.exists() and not options["no_demo"]:
            self.stdout.write("首次启动：正在生成演示数据 …")
            call_command(
                "demo",
                customers=options["demo_customers"],
                work_orders=options["demo_work_orders"],
            )
        self._ensure_admin()

    def _ensure_admin(self) -> None:
        from django.contrib.auth import get_user_model

        from kefu.org.models import OrgUnit, Role
        from kefu.org.services import staff_create

        user_model = get_user_model()
        if user_model.objects.filter(username=ADMIN_USERNAME).exists():
            return
        password = secrets.token_urlsafe(12)
        root = OrgUnit.objects.filter(parent=None).order_by("id").first()
        with transaction.atomic():
            if root:
                user = staff_create(
                    username=ADMIN_USERNAME,
                    display_name="系统管理员",
                    employee_no="ADMIN",
                    org_unit=root,
                    password=password,
                    roles=[(Role.objects.get(code="administrator"), None)],
                )
            else:
                user = user_model(username=ADMIN_USERNAME)
                user.set_password(password)
            user.is_staff = True
            user.is_superuser = True
            user.save()
        path = Path(settings.DATA_DIR) / "admin_password"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{password}\n")  # the password alone; the account is always "admin"
        banner = "=" * 60
        self.stdout.write(
            self.style.SUCCESS(
                f"{banner}\n管理员账号 / administrator: {ADMIN_USERNAME}\n"
                f"初始密码 / password (仅显示一次 / shown once): {password}\n"
                f"已保存于 / saved in: {path} (0600)\n{banner}"
            )
        )
