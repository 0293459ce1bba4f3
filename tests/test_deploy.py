"""Production settings pass Django's deployment checks; the CLI wraps management commands."""

import os
import subprocess
import sys
from pathlib import Path

KEFU = str(Path(sys.executable).parent / "kefu")


def run_kefu(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "KEFU_DATA_DIR": str(tmp_path), **env}
    environment.pop("KEFU_DEBUG", None)
    return subprocess.run(
        [KEFU, *args], env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
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


def test_secret_key_is_generated_once_and_private(tmp_path):
    run_kefu("check", tmp_path=tmp_path)
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    run_kefu("check", tmp_path=tmp_path)
    assert key_file.read_text() == first and len(first) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
