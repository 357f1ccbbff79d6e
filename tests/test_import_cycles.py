"""No import cycles between modules of `mwgbot/`: dependencies point one way (design.md).

Every import counts, wherever it is written: at the top, inside a function, or under
`if TYPE_CHECKING:`. A cycle hidden in a function is still a cycle in the design.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mwgbot"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules a file imports, resolving `from package import module`."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return {name for name in found if name in modules and name != this}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_modules(path, modules) for name, path in modules.items()}


def test_the_import_graph_is_read() -> None:
    graph = import_graph()
    assert "mwgbot.slack.block_kit" in graph["mwgbot.slack.meeting_blocks"]
    assert "mwgbot.domain.proposals" in graph["mwgbot.db.queries"]


def test_no_module_of_mwgbot_imports_itself_through_others() -> None:
    try:
        tuple(TopologicalSorter(import_graph()).static_order())
    except CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise AssertionError(f"import cycle: {cycle}") from None


def test_the_domain_imports_nothing_of_the_project() -> None:
    graph = import_graph()
    for name, imports in graph.items():
        if name.startswith("mwgbot.domain"):
            outside = {i for i in imports if not i.startswith("mwgbot.domain")}
            assert not outside, f"{name} imports {sorted(outside)}"
