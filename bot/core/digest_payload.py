"""What a recorded digest keeps besides its item ids (stories, moves, charts), so a resend is
the same digest: to and from the JSON payload of its delivery."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.messages import Attachment, StanceChange


@dataclass(frozen=True, slots=True)
class StoryView:
    """Stories of a digest's items: item id → story id, story id → its outlets (first first)."""

    story_of: Mapping[int, int] = field(default_factory=dict)
    sources: Mapping[int, Sequence[str]] = field(default_factory=dict)


def stories_payload(view: StoryView) -> dict[str, object]:
    return {
        "story_of": {str(i): s for i, s in view.story_of.items()},
        "sources": {str(s): list(o) for s, o in view.sources.items()},
    }


def stories_from(value: object) -> StoryView:
    if not isinstance(value, dict):
        return StoryView()
    story_of, sources = value.get("story_of"), value.get("sources")
    return StoryView(
        story_of={int(k): int(v) for k, v in story_of.items()}
        if isinstance(story_of, dict)
        else {},
        sources={int(k): [str(o) for o in v] for k, v in sources.items()}
        if isinstance(sources, dict)
        else {},
    )


def moves_payload(moves: Sequence[StanceChange]) -> list[dict[str, object]]:
    return [
        {
            "speaker": m.speaker,
            "topic": m.topic,
            "stance": m.stance,
            "said_at": m.said_at.isoformat(),
            "item_id": m.item_id,
            "previous": m.previous,
            "previous_at": m.previous_at.isoformat() if m.previous_at else None,
        }
        for m in moves
    ]


def moves_from(value: object) -> tuple[StanceChange, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        StanceChange(
            speaker=str(m["speaker"]),
            topic=str(m["topic"]),
            stance=str(m["stance"]),
            said_at=datetime.fromisoformat(str(m["said_at"])),
            item_id=int(m["item_id"]),
            previous=str(m["previous"]) if m.get("previous") else None,
            previous_at=datetime.fromisoformat(str(m["previous_at"]))
            if m.get("previous_at")
            else None,
        )
        for m in value
        if isinstance(m, dict)
    )


def attachments_payload(attachments: Sequence[Attachment]) -> list[dict[str, str]]:
    return [
        {
            "filename": a.filename,
            "media_type": a.media_type,
            "title": a.title,
            "path": a.path,
            "data": base64.b64encode(a.data).decode("ascii"),
        }
        for a in attachments
    ]


def attachments_from(value: object) -> tuple[Attachment, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Attachment(
            filename=str(a["filename"]),
            data=base64.b64decode(str(a["data"])),
            media_type=str(a.get("media_type", "image/png")),
            title=str(a.get("title", "")),
            path=str(a.get("path", "")),
        )
        for a in value
        if isinstance(a, dict)
    )
