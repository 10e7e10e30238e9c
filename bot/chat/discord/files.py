"""Chart attachments as Discord file uploads, and embeds that show them inline.

A message with files goes out as multipart/form-data: `payload_json` plus one `files[n]` part per
file (discord.py builds it). An embed shows an uploaded image inside itself when its image URL is
`attachment://<filename>`; Discord only resolves that for plain file names, so names are reduced
to letters, digits, `_`, `-` and `.` first, the same way for the upload and the reference.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import discord

from bot.core.messages import Attachment

MAX_FILES = 10  # files per message
_DESCRIPTION_MAX = 1024  # alt text of one attachment
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def upload_name(attachment: Attachment) -> str:
    """The file name Discord will keep for `attachment` (safe for `attachment://` links)."""
    name = _UNSAFE_NAME.sub("_", attachment.filename).strip("._") or "attachment"
    return name[:100]


def to_files(attachments: Sequence[Attachment]) -> list[discord.File]:
    """Fresh discord.File objects for one request (a File's stream is consumed by sending it)."""
    return [
        discord.File(
            io.BytesIO(a.data),
            filename=upload_name(a),
            description=a.title[:_DESCRIPTION_MAX] or None,  # alt text for screen readers
        )
        for a in attachments[:MAX_FILES]
    ]


def inline_image(embed: discord.Embed, attachments: Sequence[Attachment]) -> discord.Embed:
    """Show the first image attachment inside `embed` (the file is still uploaded with the
    message); `embed` unchanged when there is no image."""
    image = next((a for a in attachments[:MAX_FILES] if a.media_type in _IMAGE_TYPES), None)
    if image is not None:
        embed.set_image(url=f"attachment://{upload_name(image)}")
    return embed
