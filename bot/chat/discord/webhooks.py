"""Channel webhooks: the URL comes from an environment variable and is checked before use.

A webhook URL is a secret (anyone holding it can post): it is never logged and never put into an
error message; errors name the environment variable instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.chat.discord.api import DISCORD_HOSTS
from bot.core.errors import DeliveryError

_PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/(\d{1,20})/([A-Za-z0-9_.-]{1,200})/?$")


@dataclass(frozen=True, slots=True)
class WebhookRef:
    """A parsed webhook: its id, its token (secret) and the variable it came from."""

    id: int
    token: str = field(repr=False)
    env: str


def webhook_from_env(
    env_name: str, environ: Mapping[str, str], *, extra_host: str | None = None
) -> WebhookRef:
    """Read and validate the webhook URL in `env_name`; permanent DeliveryError when unusable.

    Accepted hosts: discord.com, discordapp.com and their ptb/canary variants over https, or
    `extra_host` (host[:port] of WATCHBOT_DISCORD_API_URL) over http or https.
    """
    url = environ.get(env_name, "").strip()
    if not url:
        raise DeliveryError(
            f"webhook mode: environment variable {env_name} is not set or empty; "
            "set it to the channel's webhook URL (Channel settings → Integrations → Webhooks)",
            permanent=True,
        )
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc_host = host + (f":{parts.port}" if parts.port else "")
    except ValueError:
        raise DeliveryError(
            f"webhook mode: {env_name} does not hold a valid URL", permanent=True
        ) from None
    official = host in DISCORD_HOSTS and parts.scheme == "https" and parts.port in (None, 443)
    configured = extra_host is not None and netloc_host == extra_host.lower()
    if not (official or (configured and parts.scheme in ("http", "https"))):
        raise DeliveryError(
            f"webhook mode: {env_name} points at {host or 'no host'!r}, not at Discord; "
            "only https://discord.com/api/webhooks/… URLs are accepted",
            permanent=True,
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise DeliveryError(
            f"webhook mode: {env_name} has extra URL parts (credentials, query or fragment); "
            "paste the webhook URL exactly as Discord shows it",
            permanent=True,
        )
    m = _PATH.match(parts.path)
    if not m:
        raise DeliveryError(
            f"webhook mode: {env_name} is not a webhook URL "
            "(expected https://discord.com/api/webhooks/ID/TOKEN)",
            permanent=True,
        )
    return WebhookRef(id=int(m.group(1)), token=m.group(2), env=env_name)


def api_host(base: str | None) -> str | None:
    """host[:port] of a configured REST base URL, or None."""
    if not base:
        return None
    parts = urlsplit(base)
    if not parts.hostname:
        return None
    return parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
