"""The secret key kept in the data dir when KEFU_SECRET_KEY is not set.

Pure file handling, no Django: settings.py reads the file (`read_secret_key`) and the
commands that start Kefu (`kefu setup`, `kefu serve`) create it (`ensure_secret_key`), so
importing the settings never writes a file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def read_secret_key(data_dir: Path) -> str:
    """The key saved in `data_dir`, or "" when there is none yet."""
    try:
        return (data_dir / FILE_NAME).read_text().strip()
    except FileNotFoundError:
        return ""


def ensure_secret_key(data_dir: Path) -> str:
    """The key saved in `data_dir`, generated (0600) on the first call.

    The file is written under a temporary name and linked into place, so two processes
    starting at once agree on one key and neither reads a half-written file."""
    if key := read_secret_key(data_dir):
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE_NAME
    temporary = data_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        with contextlib.suppress(FileExistsError):  # another process won: its key is the one
            os.link(temporary, path)
    finally:
        temporary.unlink()
    return read_secret_key(data_dir)
