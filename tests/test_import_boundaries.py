"""The core imports no platform, scheduler, NLP, HTTP or database library."""

import json
import subprocess
import sys

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "discord",
    "apscheduler",
    "aiohttp",
    "spacy",
    "feedparser",
    "sqlalchemy",
    "psycopg",
    "pydantic",
    "typer",
    "prometheus_client",
)


def test_core_loads_nothing_from_the_outside() -> None:
    code = (
        "import sys, json, pkgutil, importlib, bot.core\n"
        "for m in pkgutil.iter_modules(bot.core.__path__): importlib.import_module('bot.core.' + m.name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    leaked = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert leaked == []
