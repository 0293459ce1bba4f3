"""`kefu intake poll [--mailbox NAME]`: read the intake mailboxes now.

The worker does this every minute; the command is for trying a new mailbox (a named one
is polled even while inactive) and for cron-driven installations without a worker.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kefu.intake.mail.poll import mailboxes_poll
from kefu.intake.models import Mailbox


class Command(BaseCommand):
    help = "Poll intake mailboxes over IMAP and turn new mail into work orders."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        poll = sub.add_parser("poll", help="poll the active mailboxes, or the one named")
        poll.add_argument("--mailbox", metavar="NAME", help="poll only this mailbox")

    def handle(self, *args, **options):
        name = options.get("mailbox")
        if name is not None and not Mailbox.objects.filter(name=name).exists():
            raise CommandError(f"没有这个邮箱 / no such mailbox: {name}")
        reports = mailboxes_poll(name=name)
        if not reports:
            self.stdout.write("没有启用的受理邮箱 / no active mailboxes")
            return
        failed = []
        for r in reports:
            if r.busy:
                self.stdout.write(
                    f"{r.mailbox}: 正在被另一个进程读取 / busy (another poll is running)"
                )
                continue
            self.stdout.write(
                f"{r.mailbox}: 新工单 {r.new}，追加到工单 {r.replies}，忽略 {r.ignored}，"
                f"失败 {r.failed}，重复 {r.duplicates} / new {r.new}, replies {r.replies}, "
                f"ignored {r.ignored}, failed {r.failed}, duplicates {r.duplicates}"
            )
            if r.error:
                failed.append(f"{r.mailbox}: {r.error}")
        if failed:
            raise CommandError("读取邮箱失败 / poll failed:\n" + "\n".join(failed))
