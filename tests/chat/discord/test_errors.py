"""Discord failures → DeliveryError: what is permanent, what is retried, and with what wait."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import discord
import pytest

from bot.chat.discord.api import LongRateLimit, ServerSideError, normalise_base, redact
from bot.chat.discord.errors import translate
from bot.chat.discord.webhooks import api_host, webhook_from_env


def http_error(
    status: int, code: int, message: str = "m", headers: dict[str, str] | None = None
) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="x", headers=headers or {})
    return discord.HTTPException(response, {"code": code, "message": message})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "permanent", "retry_after", "words"),
    [
        (LongRateLimit(64.57), False, 64.57, "rate limit"),
        (ServerSideError(503), False, None, "HTTP 503"),
        (TimeoutError(), False, None, "did not answer in time"),
        (aiohttp.ClientConnectionError(), False, None, "cannot reach Discord"),
        (http_error(404, 10003), True, None, "unknown channel (10003)"),
        (http_error(403, 50013), True, None, "missing permissions (50013)"),
        (http_error(401, 0), True, None, "401"),
        (http_error(401, 50027), True, None, "invalid webhook token (50027)"),
        (http_error(400, 20028, headers={"Retry-After": "3"}), False, 3.0, "write limit"),
        (http_error(429, 0, headers={"Retry-After": "30"}), False, 30.0, "Cloudflare"),
        (http_error(400, 50035, "Invalid Form Body"), True, None, "code 50035"),
        (discord.LoginFailure("bad"), True, None, "DISCORD_TOKEN"),
    ],
)
def test_translate(
    exc: BaseException, permanent: bool, retry_after: float | None, words: str
) -> None:
    err = translate(exc, "channel 1")
    assert (err.permanent, err.retry_after) == (permanent, retry_after)
    assert words in str(err)


def test_a_bug_is_not_translated() -> None:
    with pytest.raises(KeyError):
        translate(KeyError("bug"), "channel 1")


def test_api_base_and_hosts() -> None:
    assert normalise_base(None) == "https://discord.com/api/v10"
    assert normalise_base("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/api/v10"
    assert (
        normalise_base("https://proxy.corp/discord/api/v10") == "https://proxy.corp/discord/api/v10"
    )
    assert api_host("http://127.0.0.1:8080/api/v10") == "127.0.0.1:8080"


def test_redact_removes_webhook_and_interaction_tokens() -> None:
    line = "POST https://discord.com/api/v10/webhooks/123/s3cr3t-T0k_en?wait=true returned 200"
    assert (
        redact(line) == "POST https://discord.com/api/v10/webhooks/123/***?wait=true returned 200"
    )
    assert "tok" not in redact("/interactions/9/tok.en/callback")


def test_webhook_variants_accepted() -> None:
    for host in ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"):
        ref = webhook_from_env("H", {"H": f"https://{host}/api/webhooks/12/abc-DEF_1"})
        assert (ref.id, ref.token) == (12, "abc-DEF_1") and "abc" not in repr(ref)
    ref = webhook_from_env(
        "H", {"H": "http://127.0.0.1:9/api/v10/webhooks/1/t"}, extra_host="127.0.0.1:9"
    )
    assert ref.id == 1
