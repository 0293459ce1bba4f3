"""Every KEFU_* knob is declared once in settings.py and listed in docs/admin-guide.md.

An operator learns what can be set from the admin guide's tables; a knob read somewhere
else (a `getattr(settings, "KEFU_…", default)` or an `os.environ.get("KEFU_…")` in app
code) would be a setting nobody can find, with its default hidden at the place of use.
The source is read as text (AST), so the test needs no database.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "kefu"
SETTINGS = SRC / "settings.py"
GUIDE = ROOT / "docs" / "admin-guide.md"
KNOB = re.compile(r"^KEFU_[A-Z0-9_]+$")


def _constant(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and KNOB.match(node.value):
        return node.value
    return None


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` or a bare `environ`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id == "environ"


def environment_reads(tree: ast.AST) -> set[str]:
    """KEFU_ names read from the environment: os.environ.get/[ ]/in, os.getenv, _env_bool."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and (name := _constant(node.args[0])):
            func = node.func
            if (
                (isinstance(func, ast.Attribute) and func.attr in {"get", "pop", "setdefault"})
                and _is_environ(func.value)
            ) or (
                (isinstance(func, ast.Attribute) and func.attr == "getenv")
                or (isinstance(func, ast.Name) and func.id in {"getenv", "_env_bool"})
            ):
                names.add(name)
        elif (
            isinstance(node, ast.Subscript)
            and _is_environ(node.value)
            and (name := _constant(node.slice))
        ) or (
            isinstance(node, ast.Compare)
            and any(_is_environ(c) for c in node.comparators)
            and (name := _constant(node.left))
        ):
            names.add(name)
    return names


def settings_reads(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(names read as settings.KEFU_X, names read through getattr(settings, "KEFU_X", …))."""
    attributes, getattrs = set(), set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "settings"
            and KNOB.match(node.attr)
        ):
            attributes.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr"}
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "settings"
            and (name := _constant(node.args[1]))
        ):
            getattrs.add(name)
    return attributes, getattrs


def declared_settings(tree: ast.Module) -> set[str]:
    """KEFU_X assigned at the top level of settings.py."""
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names |= {t.id for t in targets if isinstance(t, ast.Name) and KNOB.match(t.id)}
    return names


def app_modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p != SETTINGS and "migrations" not in p.parts)


def guide_table_names() -> set[str]:
    """KEFU_ names written `like this` in a table row of the admin guide."""
    rows = [line for line in GUIDE.read_text().splitlines() if line.lstrip().startswith("|")]
    return set(re.findall(r"`(KEFU_[A-Z0-9_]+)`", "\n".join(rows)))


def test_app_code_reads_kefu_settings_only_as_declared_attributes():
    settings_tree = ast.parse(SETTINGS.read_text())
    declared = declared_settings(settings_tree)
    problems = []
    for path in app_modules():
        tree = ast.parse(path.read_text())
        where = path.relative_to(ROOT)
        problems += [
            f"{where}: reads {name} from the environment; read it in settings.py and use "
            f"settings.{name}"
            for name in sorted(environment_reads(tree))
        ]
        attributes, getattrs = settings_reads(tree)
        problems += [
            f"{where}: getattr(settings, {name!r}, …) hides the default here; declare "
            f"{name} in settings.py and read settings.{name}"
            for name in sorted(getattrs)
        ]
        problems += [
            f"{where}: settings.{name} is not declared in settings.py"
            for name in sorted(attributes - declared)
        ]
    assert not problems, "\n".join(problems)


def test_every_knob_of_the_settings_is_in_the_admin_guide():
    settings_tree = ast.parse(SETTINGS.read_text())
    knobs = environment_reads(settings_tree) | declared_settings(settings_tree)
    missing = sorted(knobs - guide_table_names())
    assert not missing, f"not in a table of docs/admin-guide.md: {', '.join(missing)}"
    # The test sees the knobs it should (a broken walk would pass vacuously).
    assert {"KEFU_DATA_DIR", "KEFU_SECRET_KEY", "KEFU_DEBUG", "KEFU_HOST"} <= knobs


def test_the_check_finds_a_stray_read():
    """The walkers recognise each way a knob used to be read outside settings.py."""
    tree = ast.parse(
        "import os\n"
        "from django.conf import settings\n"
        "a = os.environ.get('KEFU_A', '1')\n"
        "b = os.environ['KEFU_B']\n"
        "c = 'KEFU_C' in os.environ\n"
        "d = os.getenv('KEFU_D')\n"
        "e = getattr(settings, 'KEFU_E', 0)\n"
        "f = settings.KEFU_F\n"
    )
    assert environment_reads(tree) == {"KEFU_A", "KEFU_B", "KEFU_C", "KEFU_D"}
    assert settings_reads(tree) == ({"KEFU_F"}, {"KEFU_E"})
