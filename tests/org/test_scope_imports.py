"""kefu.org.scope asks kefu.org.actor for a user's context; actor never imports scope back."""

import ast
from pathlib import Path

ORG = Path(__file__).resolve().parents[2] / "src" / "kefu" / "org"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_actor_and_the_scope_value_do_not_import_scope():
    assert "kefu.org.scope" not in imported_modules(ORG / "actor.py")
    assert not {"kefu.org.actor", "kefu.org.scope"} & imported_modules(ORG / "scope_value.py")
    assert {"kefu.org.actor", "kefu.org.scope_value"} <= imported_modules(ORG / "scope.py")


def test_the_scope_type_callers_import_from_scope_is_the_one_actor_builds():
    from kefu.org import actor, scope

    assert scope.Scope is actor.Scope
