"""`kefu serve`: gunicorn (web) and the Huey consumer (worker) together.

Ctrl-C (SIGINT) or SIGTERM stops both; if either dies the other is stopped too, so a
half-running Kefu never lingers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from kefu.web.management.commands.setup import load_secret_key


def gunicorn_command(*, host: str, port: str, workers: int) -> list[str]:
    """The gunicorn command line of `kefu serve`, with its settings in kefu.gunicorn_conf."""
    return [
        os.path.join(os.path.dirname(sys.executable), "gunicorn"),
        "kefu.wsgi:application",
        "--config",
        "python:kefu.gunicorn_conf",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]


class Command(BaseCommand):
    help = "Serve Kefu: gunicorn + whitenoise on KEFU_HOST:KEFU_PORT and the Huey consumer."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None, help="default: KEFU_WEB_WORKERS")

    def handle(self, *args, **options):
        host, port = settings.KEFU_HOST, settings.KEFU_PORT
        workers = options["workers"] or settings.KEFU_WEB_WORKERS
        load_secret_key()  # when started without `kefu setup`: web and worker share one key
        bin_dir = os.path.dirname(sys.executable)
        web = subprocess.Popen(gunicorn_command(host=host, port=port, workers=workers))
        worker = subprocess.Popen([os.path.join(bin_dir, "kefu"), "run_huey"])
        children = [web, worker]
        self.stdout.write(
            self.style.SUCCESS(
                f"Kefu 已启动 / running at http://{host}:{port}/  (Ctrl-C 停止 / to stop)"
            )
        )
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(p.poll() is None for p in children):
            time.sleep(0.2)
        for p in children:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in children:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        self.stdout.write("Kefu 已停止 / stopped.")
        code = next((p.returncode for p in children if p.returncode not in (0, None, -15)), 0)
        if code and not stopping:
            raise SystemExit(code)
