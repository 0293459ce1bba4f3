"""The IMAP folder (IMAP 收信): imaplib with timeouts, no database.

Messages are read with BODY.PEEK, so nothing is marked \\Seen before the database has the
order; kefu.intake.mail.poll sets the flags once each message is taken in.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl

FETCH_MAX = 10 * 1024 * 1024  # bytes read of one message; the rest is attachments
IMAP_TIMEOUT = 30  # seconds per network operation


class ImapFolder:
    """One selected IMAP folder. Network and protocol failures raise imaplib.IMAP4.error
    or OSError; the poll records them on the mailbox and tries again next time."""

    def __init__(self, *, host, port, use_ssl, username, password, folder, timeout=IMAP_TIMEOUT):
        self.args = (host, port, use_ssl, username, password, folder, timeout)
        self.conn: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def __enter__(self) -> ImapFolder:
        host, port, use_ssl, username, password, folder, timeout = self.args
        if use_ssl:
            context = ssl.create_default_context()
            self.conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        else:
            self.conn = imaplib.IMAP4(host, port, timeout=timeout)
        try:
            self.conn.login(username, password)
            escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
            typ, data = self.conn.select(f'"{escaped}"')
            if typ != "OK":
                raise imaplib.IMAP4.error(f"SELECT {folder}: {data!r}")
            _, values = self.conn.response("UIDVALIDITY")
            self.uidvalidity = int(values[0]) if values and values[0] else 0
        except BaseException:
            self.__exit__()  # a refused login must not leave the socket open
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.conn is None:
            return
        # Best effort: the work is committed; a server gone by now changes nothing.
        with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
            if self.conn.state == "SELECTED":
                self.conn.close()
        with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
            self.conn.logout()

    def uids_after(self, last_uid: int) -> list[int]:
        typ, data = self.conn.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID SEARCH: {data!r}")
        # "n:*" always matches the highest UID, even one below n.
        uids = [int(u) for u in (data[0] or b"").split() if u.isdigit()]
        return sorted(u for u in uids if u > last_uid)

    def fetch(self, uid: int, limit: int) -> tuple[bytes, int] | None:
        """The message's first `limit` bytes and its full size; None if it is gone.
        BODY.PEEK leaves \\Seen alone: the flag is set once the order is committed."""
        typ, data = self.conn.uid("FETCH", str(uid), f"(RFC822.SIZE BODY.PEEK[]<0.{limit}>)")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH {uid}: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                size = re.search(rb"RFC822\.SIZE (\d+)", item[0])
                raw = item[1] or b""
                return raw, int(size.group(1)) if size else len(raw)
        return None

    def add_flags(self, uid: int, flags: str) -> None:
        self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", f"({flags})")
