"""The platform library never imports a service; the tooling finds the services through the registry."""

from __future__ import annotations

import ast
from pathlib import Path

import typer.main
from typer.core import TyperGroup

import shared
from shared.services import SERVICES
from shared.tooling.cli import app, service_command_groups
from shared.tooling.demo.loader import service_demos

SHARED = Path(shared.__file__).parent
TOOLING = SHARED / "tooling"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def _importers(paths: list[Path], package: str) -> dict[str, list[str]]:
    """The modules among ``paths`` that import ``package`` or a module in it, with what they import."""
    found: dict[str, list[str]] = {}
    for path in paths:
        if imported := sorted(m for m in _imported_modules(path) if m == package or m.startswith(f"{package}.")):
            found[str(path.relative_to(SHARED.parent))] = imported
    return found


def _modules_outside(*folders: Path) -> list[Path]:
    return [path for path in SHARED.rglob("*.py") if not any(path.is_relative_to(f) for f in folders)]


def test_the_platform_library_imports_no_service() -> None:
    library = _modules_outside(TOOLING)
    assert len(library) > 10, "the walk found the library's modules"
    assert _importers(library, "services") == {}


def test_the_platform_library_does_not_import_the_tooling() -> None:
    # The library's own tests may: this one does.
    assert _importers(_modules_outside(TOOLING, SHARED / "tests"), "shared.tooling") == {}


def test_the_cli_has_the_command_groups_that_services_declare() -> None:
    declared = {spec.name for spec in SERVICES.values() if spec.part("cli") is not None}
    assert declared == {"intake", "notifications"}
    groups = service_command_groups()
    assert list(groups) == ["import", "mail"], "each service's group keeps its documented name"
    commands = typer.main.get_group(app).commands
    assert set(groups) <= set(commands)
    imports = commands["import"]
    assert isinstance(imports, TyperGroup)
    assert set(imports.commands) == {"participants", "employers"}
    mail = commands["mail"]
    assert isinstance(mail, TyperGroup)
    assert set(mail.commands) == {"list", "show"}


def test_the_demo_is_loaded_by_the_services_that_declare_a_part_of_it() -> None:
    loaders = [getattr(loader, "__name__", None) for loader in service_demos()]
    assert loaders == [
        "services.intake.demo",
        "services.vouchers.demo",
        "services.matching.demo",
    ], "in the registry's order: intake first"
