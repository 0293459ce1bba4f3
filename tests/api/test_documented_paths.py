"""Every path the API reference and the admin guide name is routed by the real URLconf."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOCUMENTS = ("api.md", "admin-guide.md")

# Paths inside `code spans` and after http://host:port in links and curl examples.
_SPAN = re.compile(r"`([^`\n]+)`")
_URL = re.compile(r"https?://[^/\s]+(/[^\s)>`'\"]*)")
_PATH = re.compile(r"(?:^|[\s、(])(/[^\s`、,，)]*)")
# Placeholders as the docs write them: {id}, {action}, <号码>.
_PLACEHOLDER = re.compile(r"\{[^}]+\}|<[^>]+>")


def documented_paths(name: str) -> list[tuple[int, str]]:
    """(line number, path) for every path named in docs/<name>, query strings dropped.

    A path written short in a table cell beside its full form (`GET /api/v1/staff/`、
    `/staff/{id}/`) is taken relative to /api/v1/, as the reader takes it.
    """
    found = []
    for number, line in enumerate((DOCS / name).read_text().splitlines(), start=1):
        chunks = _SPAN.findall(line) + _URL.findall(line)
        for chunk in chunks:
            for match in _PATH.finditer(chunk):
                path = match.group(1).split("?", 1)[0]
                if not path.startswith(("/api/", "/admin/")) and "/api/v1/" in line:
                    path = "/api/v1" + path
                found.append((number, path))
    return found


def documented_actions() -> list[str]:
    """The action names of the table under "流程操作 / Actions" in docs/api.md."""
    text = (DOCS / "api.md").read_text()
    section = text.split("### 流程操作 / Actions", 1)[1].split("\n#", 1)[0]
    names = []
    for row in re.findall(r"^\| (`[^|]+)\|", section, flags=re.M):
        names += re.findall(r"`([a-z_]+)`", row)
    return names


def concrete(path: str) -> list[str]:
    """The path with its placeholders filled in; {action} once per documented action."""
    if "{action}" in path:
        return [
            _PLACEHOLDER.sub("1", path.replace("{action}", name)) for name in documented_actions()
        ]
    return [_PLACEHOLDER.sub("1", path)]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_documented_path_is_routed(document):
    paths = documented_paths(document)
    assert len(paths) >= 5, "the docs name paths; the parser found too few"
    unrouted = []
    for number, path in paths:
        for url in concrete(path):
            try:
                resolve(url)
            except Resolver404:
                unrouted.append(f"docs/{document}:{number} {url}")
    assert unrouted == []


def test_the_documented_paths_include_the_sla_policies():
    paths = {path for _, path in documented_paths("admin-guide.md")}
    assert {"/api/v1/sla-policies/", "/api/v1/sla-policies/{id}/"} <= paths
    assert "dispatch" in documented_actions() and "return" in documented_actions()


def test_an_unrouted_path_is_reported():
    with pytest.raises(Resolver404):
        resolve("/api/v1/nope/")
