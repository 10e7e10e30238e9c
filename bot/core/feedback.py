"""Verdicts users give on alerts from chat (👍/👎): recorded once, with the time, for training."""

from __future__ import annotations

from bot.core.models import Feedback
from bot.core.ports import Clock, Store


class FeedbackDesk:
    """The chat adapters' FeedbackSink: stores verdicts through the Store, stamped by the clock."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def record(self, feedback: Feedback) -> None:
        """Store the verdict now."""
        self.store.add_feedback(feedback, self.clock.now())

    def record_on_alert(self, feedback: Feedback, message_id: str) -> bool:
        """Store the verdict if `message_id` is the item's alert in `feedback.channel_ref`.

        A reaction names only a message; accepting it on anything else (a digest, another
        channel's copy, a message that merely quotes the item's number) would train on noise.
        """
        if not any(
            d.kind == "alert"
            and d.channel_ref == feedback.channel_ref
            and d.external_id == message_id
            for d in self.store.deliveries_for_item(feedback.item_id)
        ):
            return False
        self.record(feedback)
        return True
