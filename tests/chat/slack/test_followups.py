"""Later sources of a story: a reply in the thread of the story's first alert, posted once.

Real slack_sdk against the fake Slack, which keeps threads as Slack does: conversations.history
leaves replies out, conversations.replies lists the parent first and then its replies, and a
reply to a deleted parent is refused (thread_not_found) or, as Slack has also been seen to do,
posted as a top-level message.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.chat.slack.history import find_posted
from bot.chat.slack.sender import SlackSender
from bot.core.errors import DeliveryError
from bot.core.messages import AlertMessage, FollowUpMessage, ItemLine
from bot.core.models import Channel
from tests.chat.slack.conftest import CHANNEL, CHANNEL_REF
from tests.chat.slack.fake_slack import FakeSlack
from tests.chat.slack.test_sender import fresh_sender

WHEN = datetime(2025, 3, 1, 9, tzinfo=UTC)
ALERT_KEY = f"alert:{CHANNEL_REF}:1"
KEY = f"followup:{CHANNEL_REF}:2"


def item_line(item_id: int, source: str, title: str) -> ItemLine:
    return ItemLine(
        item_id,
        title,
        f"https://example.org/{item_id}",
        source,
        WHEN,
        ("troops",),
        0.9,
        "“no US troops” with a US official as speaker",
    )


FIRST = item_line(1, "Wire", "Hegseth: no US troops in Ukraine as part of any guarantee")
LATER = item_line(2, "Paper", "No American soldiers for Ukraine, Hegseth tells allies")


def followup(parent_ts: str) -> FollowUpMessage:
    story = AlertMessage(replace(FIRST, also=("Paper",)))
    return FollowUpMessage(line=LATER, story=story, parent_id=parent_ts)


async def alert(sender: SlackSender, channel: Channel) -> str:
    """Post the story's first alert; its ts is what the core gives the follow-up as parent."""
    ts = await sender.send(channel, AlertMessage(FIRST), idempotency_key=ALERT_KEY)
    assert ts is not None
    return ts


def payload(message: dict[str, object]) -> object:
    return message["metadata"]["event_payload"]  # type: ignore[index]


async def test_followup_is_a_reply_in_the_thread_of_the_alert(
    fake: FakeSlack, channel: Channel
) -> None:
    sender = fresh_sender(fake)
    parent = await alert(sender, channel)
    ts = await sender.send(channel, followup(parent), idempotency_key=KEY)

    post = fake.posts[-1]
    assert post["channel"] == CHANNEL and post["thread_ts"] == parent and ts == post["ts"]
    assert not post.get("reply_broadcast")  # under the alert, not again in the channel
    assert payload(post) == {"key": KEY, "kind": "followup", "item_id": 2}
    assert "Also reported by *Paper*" in post["blocks"][0]["text"]["text"]
    [reply] = fake.thread(CHANNEL, parent)
    assert reply["ts"] == ts
    assert [m["ts"] for m in fake.top_level(CHANNEL)] == [parent]
    # An unknown key was looked for in the alert's thread before posting.
    replies = [args for method, args in fake.calls if method == "conversations.replies"]
    assert [r["ts"] for r in replies] == [parent]
    assert fake.methods()[-2:] == ["conversations.replies", "chat.postMessage"]


async def test_resend_after_a_crash_finds_the_reply_and_posts_nothing(
    fake: FakeSlack, channel: Channel
) -> None:
    first_process = fresh_sender(fake)
    parent = await alert(first_process, channel)
    ts = await first_process.send(channel, followup(parent), idempotency_key=KEY)
    # …the process dies before the outbox marks the follow-up sent. The next one resends it:
    restarted = fresh_sender(fake)
    before = len(fake.calls)
    again = await restarted.send(channel, followup(parent), idempotency_key=KEY)
    assert again == ts and len(fake.posts) == 2  # the alert and one follow-up
    assert fake.methods()[before:] == ["auth.test", "conversations.replies"]
    # Why the thread must be read: the channel's history never shows thread replies.
    history = await find_posted(restarted.client, CHANNEL, [KEY], oldest=0)
    assert history == {}


async def test_parent_deleted_before_the_check_posts_in_the_channel(
    fake: FakeSlack, channel: Channel
) -> None:
    parent = await alert(fresh_sender(fake), channel)
    fake.delete(CHANNEL, parent)

    sender = fresh_sender(fake)
    ts = await sender.send(channel, followup(parent), idempotency_key=KEY)

    post = fake.posts[-1]
    assert "thread_ts" not in post and payload(post)["key"] == KEY  # type: ignore[index]
    assert [m["ts"] for m in fake.top_level(CHANNEL)] == [ts]
    # conversations.replies said thread_not_found; the channel was checked instead.
    assert fake.methods()[-3:] == [
        "conversations.replies",
        "conversations.history",
        "chat.postMessage",
    ]
    # A restart finds it there and posts nothing more.
    assert await fresh_sender(fake).send(channel, followup(parent), idempotency_key=KEY) == ts
    assert len(fake.posts) == 2


@pytest.mark.parametrize("unthreads", [False, True], ids=["refused", "unthreaded"])
async def test_parent_deleted_between_check_and_post_still_reaches_the_channel(
    fake: FakeSlack, channel: Channel, unthreads: bool
) -> None:
    fake.unthread_orphans = unthreads
    sender = fresh_sender(fake)
    parent = await alert(sender, channel)
    fake.fail("chat.postMessage", "429")  # a clear refusal: the retry need not check again
    with pytest.raises(DeliveryError) as err:
        await sender.send(channel, followup(parent), idempotency_key=KEY)
    assert err.value.retry_after == 30
    fake.delete(CHANNEL, parent)

    ts = await sender.send(channel, followup(parent), idempotency_key=KEY)

    assert [m["ts"] for m in fake.top_level(CHANNEL)] == [ts]
    assert payload(fake.top_level(CHANNEL)[0]) == {"key": KEY, "kind": "followup", "item_id": 2}
    assert len(fake.posts) == 2 and fake.methods().count("conversations.replies") == 1
    assert await fresh_sender(fake).send(channel, followup(parent), idempotency_key=KEY) == ts
    assert len(fake.posts) == 2


async def test_thread_the_bot_cannot_read_does_not_block_the_followup(
    fake: FakeSlack, channel: Channel
) -> None:
    sender = fresh_sender(fake)
    parent = await alert(sender, channel)
    fake.fail("conversations.replies", "error", error="not_in_channel")
    await sender.send(channel, followup(parent), idempotency_key=KEY)
    assert [m["ts"] for m in fake.thread(CHANNEL, parent)] == [fake.posts[-1]["ts"]]
