"""The core imports nothing outside itself and the standard library: no platform, scheduler, NLP,
HTTP, database or matching library (adapters are handed to it through bot/core/ports.py)."""

import json
import subprocess
import sys

# Loaded by the interpreter or the editable install before any of our code runs.
STARTUP = {"__main__", "_distutils_hack", "bot"}


def test_core_loads_nothing_from_the_outside() -> None:
    code = (
        "import sys, json, pkgutil, importlib, bot.core\n"
        "for m in pkgutil.iter_modules(bot.core.__path__): importlib.import_module('bot.core.' + m.name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    outside = {
        m
        for m in loaded - set(sys.stdlib_module_names) - STARTUP
        if not m.startswith("__editable__")
    }
    assert outside == set()
