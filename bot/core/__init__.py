"""Pure domain of Watchbot: models, ports, decisions, pipeline, digests and commands.

Nothing here imports a platform, scheduler, NLP or database library; adapters depend on this package,
never the other way round.
"""
