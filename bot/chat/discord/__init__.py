"""Discord: `/watch` application commands, embeds, bot and webhook delivery (discord.py).

`adapter.create(settings, ports)` is the entry point; the registry calls it when DISCORD_TOKEN
is set or a Discord channel posts through a webhook.
"""
