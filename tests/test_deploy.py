"""Production settings pass Django's deployment checks; the CLI wraps management commands."""

import os
import subprocess
import sys
from pathlib import Path

from kefu.core.secret_key import ensure_secret_key

KEFU = str(Path(sys.executable).parent / "kefu")


def run_kefu(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "KEFU_DATA_DIR": str(tmp_path), **env}
    environment.pop("KEFU_DEBUG", None)
    environment.pop("KEFU_SECRET_KEY", None)
    return subprocess.run(
        [KEFU, *args], env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    ensure_secret_key(tmp_path)  # what `kefu setup` does first
    result = run_kefu(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        KEFU_HTTPS="1",
        KEFU_ALLOWED_HOSTS="kefu.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_without_a_secret_key_says_how_to_make_one(tmp_path):
    result = run_kefu("check", "--deploy", tmp_path=tmp_path, KEFU_ALLOWED_HOSTS="kefu.example.cn")
    assert result.returncode != 0
    assert "kefu setup" in result.stderr and "KEFU_SECRET_KEY" in result.stderr


def test_importing_the_settings_writes_no_secret_key(tmp_path):
    assert run_kefu("check", tmp_path=tmp_path).returncode == 0
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_is_generated_once_private_and_read_by_the_settings(tmp_path):
    first = ensure_secret_key(tmp_path)
    assert ensure_secret_key(tmp_path) == first and len(first) >= 50
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary left over
    shown = run_kefu(
        "django",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        tmp_path=tmp_path,
    )
    assert shown.stdout.strip().splitlines()[-1] == first, shown.stderr


def test_setup_makes_the_secret_key_before_anything_else(db, settings, tmp_path):
    """`kefu setup` in a process whose settings found no key: it generates and uses it."""
    from kefu.web.management.commands.setup import load_secret_key

    settings.DATA_DIR = tmp_path
    settings.SECRET_KEY = ""
    load_secret_key()
    assert (tmp_path / "secret_key").read_text() == settings.SECRET_KEY


def test_serve_runs_gunicorn_without_a_control_socket_outside_the_data_dir(monkeypatch):
    """Two instances on one machine must not share gunicorn's ~/.gunicorn/gunicorn.ctl."""
    from gunicorn.app.wsgiapp import WSGIApplication

    from kefu.web.management.commands.serve import gunicorn_command

    command = gunicorn_command(host="127.0.0.1", port="8123", workers=2)
    monkeypatch.setattr(sys, "argv", command)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
    assert cfg.control_socket_disable is True
    assert cfg.bind == ["127.0.0.1:8123"] and cfg.workers == 2
    # The settings file the docs promise is the one gunicorn loads (gc.freeze per worker).
    assert cfg.post_worker_init.__module__ == "kefu.gunicorn_conf"


def test_admin_password_file_holds_the_password_that_signs_in(db, settings, tmp_path, org):
    from django.contrib.auth import authenticate

    from kefu.web.management.commands.setup import ADMIN_USERNAME, Command

    settings.DATA_DIR = tmp_path
    Command()._ensure_admin()
    saved = tmp_path / "admin_password"
    lines = saved.read_text().splitlines()
    assert len(lines) == 1
    assert authenticate(username=ADMIN_USERNAME, password=lines[0]) is not None
    assert oct(saved.stat().st_mode & 0o777) == "0o600"


def test_kefu_help_lists_kefus_own_commands_in_chinese(tmp_path):
    result = run_kefu("--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert "导入客户" in lines["import"] and "启动网页服务" in lines["serve"]
    assert {"setup", "demo", "export", "calendar", "business-time", "check"} <= set(lines)
    # Django's internal commands are not in Kefu's list; they live behind `kefu django`.
    assert "compilemessages" not in result.stdout and "drf_create_token" not in result.stdout
    assert "kefu django" in result.stdout
    inner = run_kefu("django", "help", tmp_path=tmp_path)
    assert "compilemessages" in inner.stdout
    assert run_kefu("django", "check", tmp_path=tmp_path).returncode == 0
    assert run_kefu("help", "import", tmp_path=tmp_path).stdout.startswith("usage: kefu import")
