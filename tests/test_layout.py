"""The rooms of ``daemon/`` and the one direction imports run between them.

    shared (clock, config, errors, paths) < store < sync < model < summary < service, demo < cli

A module may import its own room, a lower room, or the shared modules; never a higher room, and
``service`` and ``demo`` never import each other. Inside ``daemon`` there are no import circles,
and only the CLI imports inside functions (to keep start-up light), never the core to dodge a
circle; the one exception is a package's lazy face (``daemon.store``'s ``__getattr__`` loads
its own ``Store`` on first use, so its light readers do not load SQLAlchemy). ``connectors``
never imports ``daemon`` (see ``test_promises``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DAEMON = ROOT / "daemon"
SHARED = {"daemon", "daemon.clock", "daemon.config", "daemon.config.lines", "daemon.config.sanity",
          "daemon.config.problems", "daemon.config.resolve", "daemon.config.team",
          "daemon.errors", "daemon.paths"}
RANK = {"store": 1, "sync": 2, "model": 3, "summary": 4, "service": 5, "demo": 5, "cli": 6}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for p in DAEMON.rglob("*.py") if "migrations" not in p.parts}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported daemon module, imported inside a function) for every import in ``path``."""
    tree = ast.parse(path.read_text())
    local = {id(n) for f in ast.walk(tree)
             if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) for n in ast.walk(f)}
    known = _modules()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # ``from daemon.summary import ledger`` imports the module daemon.summary.ledger
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known
                     else node.module for a in node.names]
        else:
            continue
        found += [(n, id(node) in local) for n in names if n.split(".")[0] == "daemon"]
    return found


def _room(module: str) -> str | None:
    if module in SHARED:
        return None
    return module.split(".")[1]


def _rank(module: str) -> int:
    room = _room(module)
    return 0 if room is None else RANK[room]


def test_every_module_is_in_a_known_room():
    strays = [m for m in _modules() if m not in SHARED and _room(m) not in RANK]
    assert not strays, f"modules outside the rooms {sorted(RANK)}: {strays}"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_imports_run_one_way(module: str):
    for target, _ in _imports(_modules()[module]):
        if target == "daemon" or _room(target) == _room(module):
            continue
        assert _rank(target) <= _rank(module), f"{module} imports {target}: it runs back up"
        assert {_room(module), _room(target)} != {"service", "demo"}, (module, target)


def test_only_the_cli_imports_inside_functions():
    offenders = [(m, t) for m, p in _modules().items() if _room(m) != "cli"
                 for t, local in _imports(p) if local
                 and not (p.name == "__init__.py" and t.startswith(m + "."))]
    assert not offenders, f"function-local imports in the core: {offenders}"


def test_no_import_circles():
    modules = _modules()
    graph = {m: {t for t, _ in _imports(p) if t in modules and t != m} for m, p in modules.items()}
    # a package's __init__ importing its own modules is its face, not a dependency back
    for m in graph:
        graph[m] = {t for t in graph[m] if not m.startswith(t + ".")}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            assert state.get(t) != 1, f"import circle: {' -> '.join([*path, m, t])}"
            if t not in state:
                visit(t, [*path, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
