"""The `watchbot classify` contract other tools rely on."""

import json
import subprocess
import sys

from tests.fakes import REPO


def run_classify(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "classify", "-c", str(REPO / "config" / "watchbot.toml")],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_contract_and_malformed_lines() -> None:
    lines = [
        {
            "id": "a",
            "title": "Starmer ready to put British boots on the ground in Ukraine",
            "text": "The prime minister said UK troops could deploy as part of a reassurance force.",
        },
        "this is not json",
        {
            "id": "b",
            "title": "Zelensky: only NATO membership is a real security guarantee",
            "text": "",
        },
        {"title": "no id here"},
        {
            "id": 3,
            "title": "Russian drones hit Odesa port",
            "text": "Grain terminals were damaged.",
        },
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    proc = run_classify(stdin)
    assert proc.returncode == 1
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", 3]
    for o in out:
        assert set(o) == {"id", "labels", "scores", "why"}
        assert set(o["labels"]) == set(o["scores"]) == {"guarantees", "troops"}
        assert all(isinstance(v, bool) for v in o["labels"].values())
        assert all(0.0 <= v <= 1.0 for v in o["scores"].values())
        assert all(isinstance(w, str) for w in o["why"])
    assert out[0]["labels"]["troops"] and out[0]["why"]
    assert out[1]["labels"]["guarantees"]
    assert out[2]["labels"] == {"guarantees": False, "troops": False}
    assert "line 2:" in proc.stderr and "line 4:" in proc.stderr
