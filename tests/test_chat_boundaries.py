"""Chat adapters reach the app only through the ports they are handed, never the composition root.

`bot.app` knows every concrete class (the store, the dispatcher, the poller); an adapter that
imported it could reach all of them, and would close an import loop (app → registry → adapter →
app). What adapters use lives in `bot.core.ports` and `bot.chat.base`. Same spirit as
`test_import_boundaries.py`: read every module's imports, then load the packages for real.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import bot.chat

CHAT = Path(bot.chat.__file__).parent
# The composition root, and what it alone wires: the scheduler, the web server, the CLI.
OFF_LIMITS = ("bot.app", "bot.schedule", "bot.web", "bot.__main__")


def imports_of(source: str, module: str) -> set[str]:
    """Every module (and `module.name`) that `source`, standing at `module`, imports — at any
    depth, so imports under TYPE_CHECKING and inside functions count too."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".")[: -node.level] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    """`bot.chat.slack.adapter` for its file; a package's `__init__` keeps its own name as the
    last part so that relative imports resolve against the package itself."""
    return ".".join(path.relative_to(CHAT.parent.parent).with_suffix("").parts)


def off_limits(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == o or n.startswith(o + ".") for o in OFF_LIMITS))


def chat_modules() -> list[Path]:
    return sorted(CHAT.rglob("*.py"))


def test_the_scan_sees_every_form_an_import_of_the_app_can_take() -> None:
    # If the scan missed one of these, the test below would pass while proving nothing.
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.app import App\n"
        "def create():\n    from ... import app\n    import bot.schedule\n"
        "from ...web import make_web_app\n"
    )
    found = imports_of(source, "bot.chat.slack.adapter")
    assert off_limits(found) == ["bot.app", "bot.app.App", "bot.schedule", "bot.web",
                                 "bot.web.make_web_app"]  # fmt: skip
    assert off_limits(imports_of("from .registry import build_adapters", "bot.chat.x")) == []


@pytest.mark.parametrize("path", chat_modules(), ids=lambda p: str(p.relative_to(CHAT)))
def test_no_chat_module_imports_the_composition_root(path: Path) -> None:
    found = imports_of(path.read_text(encoding="utf-8"), module_name(path))
    assert off_limits(found) == [], f"{path.relative_to(CHAT.parent.parent)} imports the app"


def test_loading_every_chat_module_does_not_load_the_app() -> None:
    code = (
        "import sys, json, pkgutil, importlib, bot.chat\n"
        "for m in pkgutil.walk_packages(bot.chat.__path__, 'bot.chat.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "bot.chat.slack.adapter" in loaded and "bot.chat.discord.adapter" in loaded
    assert off_limits(loaded) == []
