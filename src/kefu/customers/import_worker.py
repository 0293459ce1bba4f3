"""Child process that validates an import file while the parent writes (see importing.py).

Started as `python -m kefu.customers.import_worker` (not multiprocessing: that would re-run
the parent's main module). It reads `(source, rules)` pickled on stdin and writes the
validation messages to stdout as length-prefixed marshal frames.
"""

from __future__ import annotations

import marshal
import os
import pickle
import struct
import sys
from collections.abc import Iterator
from typing import BinaryIO

_FRAME = struct.Struct("<I")


def write_frame(out: BinaryIO, message: tuple) -> None:
    payload = marshal.dumps(message)
    out.write(_FRAME.pack(len(payload)))
    out.write(payload)


def read_frames(stream: BinaryIO) -> Iterator[tuple]:
    """Frames until EOF (a short read means the child went away)."""
    while True:
        head = stream.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return
        (size,) = _FRAME.unpack(head)
        payload = stream.read(size)
        if len(payload) < size:
            return
        yield marshal.loads(payload)  # noqa: S302 - frames from our own child process


def main() -> None:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the frame stream
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.utils import translation

    from kefu.customers.import_check import ImportRules, validation_stream

    source, rules = pickle.load(sys.stdin.buffer)  # noqa: S301 - sent by our parent process
    translation.activate(rules["language"])
    try:
        for message in validation_stream(source, ImportRules(**rules)):
            write_frame(out, message)
    except Exception as exc:  # report to the parent instead of dying silently
        write_frame(out, ("crash", f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        out.flush()


if __name__ == "__main__":
    main()
