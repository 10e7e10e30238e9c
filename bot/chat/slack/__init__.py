"""Slack adapter: Block Kit renderers, digest splitting, a paced crash-safe sender, `/watch` and
reactions through slack-bolt (Socket Mode or the bot's own HTTP endpoint)."""
