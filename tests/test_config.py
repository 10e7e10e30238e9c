"""Config: the shipped file validates; every mistake is one line naming file, key and problem."""

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.errors import ConfigError
from tests.fakes import REPO

SHIPPED = REPO / "config" / "watchbot.toml"
MINIMAL = """
[[channels]]
name = "console"
platform = "console"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_runs_as_shipped() -> None:
    settings = load_settings(SHIPPED)
    assert len(settings.feeds) >= 10
    assert settings.seeds.enabled and settings.channels[0].platform == "console"
    assert settings.storage.url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[storage]\nurl = 'x'\ncolour = 'red'\n", "storage.colour", "unknown key"),
        ("[http]\nport = 'eighty'\n", "http.port", "valid integer"),
        (MINIMAL + "digest = { cron = '61 * * * *' }\n", "channels[0].digest", "invalid cron"),
        (MINIMAL + "digest = { cron = '0 8 * *' }\n", "channels[0].digest", "5 fields"),
        (
            MINIMAL + "digest = { timezone = 'Mars/Olympus' }\n",
            "channels[0].digest",
            "unknown time zone",
        ),
        (MINIMAL + "topics = ['weather']\n", "channels[0].topics", "unknown topic"),
        ("[[feeds]]\nurl = 'ftp://x.org/feed'\n", "feeds[0].url", "not an http(s) URL"),
        ("[[feeds]]\nurl = 'https://x.org/f'\ntags = ['  ']\n", "feeds[0].tags", "1-64 characters"),
        ("[[feeds]]\nurl = 'https://x.org/f'\ntags = 'europe'\n", "feeds[0].tags", "valid list"),
        (
            "[[feeds]]\nurl = 'https://x.org/f'\ninterval = 'often'\n",
            "feeds[0].interval",
            "duration",
        ),
        ("[[channels]]\nname = 'd'\nplatform = 'slack'\n", "channels[0]", "needs a target"),
        ("[classifier.thresholds]\ntroops = 1.5\n", "classifier.thresholds", "between 0 and 1"),
        (
            MINIMAL + "filters = ['exclude sport', 'include /(troops/']\n",
            "channels[0].filters[1]",
            "/(troops/ is not a usable regular expression: missing )",
        ),
        (
            MINIMAL + "filters = ['exclude sport in:body']\n",
            "channels[0].filters[0]",
            "unknown scope `in:body`",
        ),
        (MINIMAL + "filters = ['sport']\n", "channels[0].filters[0]", "include or exclude"),
        (
            MINIMAL + f"filters = {[f'exclude w{n}' for n in range(51)]}\n",
            "channels[0].filters",
            "at most 50 items",
        ),
        (
            MINIMAL + "digest_max_stories = 0\n",
            "channels[0].digest_max_stories",
            "greater than or equal to 1",
        ),
    ],
)
def test_errors_name_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}")
    assert problem in message


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"invalid TOML"):
        load_settings(write(tmp_path, "[storage\nurl="))
    with pytest.raises(ConfigError, match=r"file not found"):
        load_settings(tmp_path / "nope.toml")


def test_environment_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHBOT_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("WATCHBOT_HTTP_PORT", "9999")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value-123")
    monkeypatch.setenv(
        "WATCHBOT_CONFIG", str(write(tmp_path, "[storage]\nurl = 'sqlite:///file.db'\n"))
    )
    settings = load_settings()
    assert settings.storage.url == "sqlite:///elsewhere.db"
    assert settings.http.port == 9999
    assert settings.secrets.slack_bot_token is not None
    assert "xoxb-secret-value-123" not in repr(settings)
    assert "xoxb-secret-value-123" not in str(settings.model_dump())


def test_feed_tags_are_trimmed_and_deduplicated_case_insensitively(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[[feeds]]\nurl = 'https://x.org/f'\ntags = [' Europe ', 'europe', 'Think  tanks']\n",
    )
    assert load_settings(path).feeds[0].tags == ["Europe", "Think tanks"]


def test_channel_filters_and_digest_cap_reach_the_stored_channel(tmp_path: Path) -> None:
    from bot.app import channel_from_config
    from bot.core.filters import FilterRule

    path = write(
        tmp_path,
        MINIMAL
        + "digest_max_stories = 12\n"
        + r"filters = ['exclude /\bop-ed\b/ in:title', 'include troops tag:Ukraine']"
        + "\n",
    )
    channel = channel_from_config(load_settings(path).channels[0])
    assert channel.digest_max_stories == 12
    assert channel.filters == (
        FilterRule("exclude", r"\bop-ed\b", regex=True, scope="title"),
        FilterRule("include", "troops", tag="Ukraine"),
    )
