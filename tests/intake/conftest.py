"""A real IMAP server for the intake tests: Debian's dovecot, unprivileged, on a free port.

One server per test session (it starts in well under a second); each test gets its own
mail account, so tests never see each other's mail. Mail is delivered with IMAP APPEND,
the way another mail client would file it.
"""

from __future__ import annotations

import grp
import imaplib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import free_port

_FLAGS = re.compile(rb"UID (?P<uid>\d+) FLAGS \((?P<flags>[^)]*)\)")

# /usr/sbin is not on every PATH (a plain user's, some CI shells).
DOVECOT = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
_accounts = itertools.count(1)

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = kefu-test-{port}
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%n
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@dataclass
class ImapServer:
    host: str
    port: int
    root: Path
    uid: int
    gid: int

    def add_account(self) -> ImapAccount:
        """A new mailbox user, in a passwd file of its own: dovecot notices a changed file
        by its mtime, which a second account added within the same second would not move."""
        n = next(_accounts)
        account = ImapAccount(self, f"kefu{n}", f"secret-{n}")
        (self.root / "users" / account.username).write_text(
            f"{account.username}:{{PLAIN}}{account.password}:{self.uid}:{self.gid}::"
            f"{self.root}/mail/{account.username}\n"
        )
        return account

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class ImapAccount:
    server: ImapServer
    username: str
    password: str

    def _connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.server.host, self.server.port, timeout=10)
        conn.login(self.username, self.password)
        return conn

    def deliver(self, *messages: bytes) -> None:
        conn = self._connect()
        try:
            for raw in messages:
                typ, data = conn.append("INBOX", None, None, raw)
                assert typ == "OK", data
        finally:
            conn.logout()

    def flags(self) -> dict[int, set[str]]:
        """UID → flags of every message in the inbox."""
        conn = self._connect()
        try:
            conn.select("INBOX")
            typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            out: dict[int, set[str]] = {}
            for line in data:
                if isinstance(line, bytes) and (m := _FLAGS.search(line)):
                    out[int(m["uid"])] = set(m["flags"].decode().split())
            return out
        finally:
            conn.logout()

    def unflag_seen(self) -> None:
        conn = self._connect()
        try:
            conn.select("INBOX")
            conn.uid("STORE", "1:*", "-FLAGS.SILENT", r"(\Seen)")
        finally:
            conn.logout()


def _wait_until_listening(proc: subprocess.Popen, port: int, root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            path = root / "dovecot.log"
            log = path.read_text(errors="replace") if path.exists() else ""
            raise RuntimeError(f"dovecot exited with {proc.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)  # readiness polling, not test timing
    raise RuntimeError("dovecot did not start listening within 15 s")


@pytest.fixture(scope="session")
def imap_server():
    """dovecot -F with a private config: maildir in a temp dir, passwd-file users with plain
    passwords, no SSL, plaintext login. Run as the current user, or as nobody when the
    tests run as root (dovecot will not keep root for mail access)."""
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install -y dovecot-imapd)")
    if os.geteuid() == 0:
        user, group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    else:
        user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    root = Path(tempfile.mkdtemp(prefix="kefu-dovecot-"))
    for sub in ("run", "state", "mail", "users"):
        (root / sub).mkdir()
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, port=port, user=user, group=group))
    for path in [root, *root.rglob("*")]:
        os.chown(path, uid, gid)
    kwargs = {"user": user, "group": group, "extra_groups": []} if os.geteuid() == 0 else {}
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        **kwargs,
    )
    try:
        _wait_until_listening(proc, port, root)
        yield ImapServer("127.0.0.1", port, root, uid, gid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # dovecot's helper processes may still be writing for a moment after the master exits.
        deadline = time.monotonic() + 10
        while root.exists() and time.monotonic() < deadline:
            shutil.rmtree(root, ignore_errors=True)
            time.sleep(0.05)


@pytest.fixture
def imap_account(imap_server):
    return imap_server.add_account()


@pytest.fixture
def mail_agent(org, make_user):
    """The service account orders from the mailbox are accepted under (agent, county A1)."""
    return make_user("mailbot", org["county_a1"], "agent")


@pytest.fixture
def mailbox(db, org, mail_agent, imap_account):
    from kefu.intake.models import Mailbox

    box = Mailbox(
        name="客服邮箱",
        host=imap_account.server.host,
        port=imap_account.server.port,
        use_ssl=False,
        username=imap_account.username,
        password=imap_account.password,
        accepting_unit=org["county_a1"],
        owner=mail_agent,
    )
    box.full_clean()
    box.save()
    return box
