"""Running `watchbot` as a real process and measuring it: exit code, output, wall time, peak RSS.

Peak memory comes from the kernel's accounting of that one child (`os.wait4`'s rusage
`ru_maxrss`), so runs in parallel do not blur each other's figures. Every run is also recorded in
`FIGURES`, which the suite's terminal summary prints (how many hostile inputs, the worst peak).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes import REPO

# The figure is 10 s of wall time on a machine of its own. The suite shares two cores
# with other suites, so it holds the process's own CPU time to that figure, and its wall time to
# a bound that still proves it ends (a hang, a blocking read or a sleep would break either). The
# slowest document (40 000 entries) takes about 4.5 s of CPU and has been measured at 7-8 s of
# wall time two at a time under a load of 2-3: 10 s of wall time would be a coin toss there.
MAX_SECONDS = 10.0  # user + system CPU time
MAX_WALL_SECONDS = 20.0
MAX_PEAK_MB = 300.0  # `watchbot ingest` on one document (the figure)
# `watchbot run` fetching and parsing ~60 hostile feeds at once: ~225 MB of code and models at
# rest, plus what is in flight (up to `http.concurrency` bodies of `max_bytes`, and their parses).
DAEMON_MAX_PEAK_MB = 400.0


@dataclass(frozen=True)
class Run:
    """One finished process."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float  # wall time
    cpu_seconds: float  # user + system
    peak_mb: float

    @property
    def errors(self) -> list[str]:
        """The `watchbot: …` error lines on stderr (the CLI's own report)."""
        return [line for line in self.stderr.splitlines() if line.startswith("watchbot:")]

    def describe(self) -> str:
        return (
            f"exit {self.code} after {self.seconds:.1f} s ({self.cpu_seconds:.1f} s CPU), "
            f"peak {self.peak_mb:.0f} MB\n"
            f"stdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-4000:]}"
        )


@dataclass
class Figures:
    """What the hostile suite tried, for the summary printed at the end of the run."""

    inputs: dict[str, set[str]] = field(default_factory=dict)  # kind → names
    worst: tuple[float, str] = (0.0, "")  # peak MB, which run
    slowest: tuple[float, str] = (0.0, "")
    most_cpu: tuple[float, str] = (0.0, "")
    daemon_peak: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tried(self, kind: str, name: str) -> None:
        with self.lock:
            self.inputs.setdefault(kind, set()).add(name)

    def measured(self, name: str, run: Run) -> None:
        with self.lock:
            self.worst = max(self.worst, (run.peak_mb, name))
            self.slowest = max(self.slowest, (run.seconds, name))
            self.most_cpu = max(self.most_cpu, (run.cpu_seconds, name))

    def to_json(self) -> dict[str, object]:
        """What this process measured, for the xdist controller to merge (see tests/conftest.py)."""
        with self.lock:
            return {
                "inputs": {k: sorted(v) for k, v in self.inputs.items()},
                "worst": list(self.worst),
                "slowest": list(self.slowest),
                "most_cpu": list(self.most_cpu),
                "daemon_peak": self.daemon_peak,
            }

    def merge(self, data: dict[str, Any]) -> None:
        """Fold another process's figures into these: names are united, worsts kept."""
        with self.lock:
            for kind, names in data["inputs"].items():
                self.inputs.setdefault(kind, set()).update(names)
            self.worst = max(self.worst, (float(data["worst"][0]), str(data["worst"][1])))
            self.slowest = max(self.slowest, (float(data["slowest"][0]), str(data["slowest"][1])))
            self.most_cpu = max(
                self.most_cpu, (float(data["most_cpu"][0]), str(data["most_cpu"][1]))
            )
            self.daemon_peak = max(self.daemon_peak, float(data["daemon_peak"]))

    def lines(self) -> list[str]:
        if not self.inputs:
            return []
        distinct = len(set().union(*self.inputs.values()))
        kinds = ", ".join(f"{k}: {len(v)}" for k, v in sorted(self.inputs.items()))
        out = [f"hostile inputs tried: {distinct} distinct ({kinds})"]
        if self.worst[1]:
            out.append(
                f"worst peak memory of a watchbot process: {self.worst[0]:.0f} MB ({self.worst[1]})"
            )
            out.append(
                f"slowest watchbot process: {self.slowest[0]:.1f} s wall ({self.slowest[1]})"
            )
            out.append(
                f"most CPU of a watchbot process: {self.most_cpu[0]:.1f} s ({self.most_cpu[1]})"
            )
        if self.daemon_peak:
            out.append(
                f"peak memory of `watchbot run` with every attack at once: "
                f"{self.daemon_peak:.0f} MB"
            )
        return out


FIGURES = Figures()


def watchbot() -> list[str]:
    """The installed `watchbot` console script next to this interpreter, else `python -m bot`."""
    script = Path(sys.executable).with_name("watchbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without chat credentials (no adapter connects), plus `extra`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "WATCHBOT_"))
    }
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


# Measures its child from outside, through a small interpreter of its own: a child forked from
# the test process starts as a copy of it, and Linux counts that copy in the child's ru_maxrss
# even after exec (a pytest grown to 500 MB would make every `watchbot` look that big).
_LAUNCHER = """
import json, os, sys
report, args = int(sys.argv[1]), sys.argv[2:]
pid = os.posix_spawnp(args[0], args, os.environ)
_pid, status, usage = os.wait4(pid, 0)
os.write(report, json.dumps([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
                            usage.ru_maxrss]).encode())
"""


def run(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60.0
) -> Run:
    """Run `args` to completion (killed after `timeout` s) and measure it."""
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        launcher = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, str(write_end), *args],
            cwd=cwd,
            env=env or clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            pass_fds=(write_end,),
            start_new_session=True,  # the watchdog kills the launcher and watchbot together
        )
        os.close(write_end)
        watchdog = threading.Timer(timeout, os.killpg, (launcher.pid, 9))
        watchdog.start()
        try:
            launcher.wait()
            with os.fdopen(read_end, "rb") as report:
                measured = report.read()
        finally:
            watchdog.cancel()
        seconds = time.monotonic() - started
        code, cpu, maxrss = json.loads(measured) if measured else (launcher.returncode, 0, 0)
        out.seek(0)
        err.seek(0)
        return Run(
            args=tuple(args),
            code=int(code),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            seconds=seconds,
            cpu_seconds=float(cpu),
            peak_mb=maxrss / 1024,  # kilobytes on Linux
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, body: str = "") -> Path:
    """A config with its own SQLite file, no seeds and a console channel, plus `body`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "watchbot.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{folder / "w.db"}"
[seeds]
enabled = false
{body}
[[channels]]
name = "console"
platform = "console"
alert_threshold = 0.5
digest = {{ cron = "0 8 * * *" }}
""",
        encoding="utf-8",
    )
    return path
