"""Analysis beyond single items: stories across outlets, who-said-what stances, trend charts.

Implements the StoryClusterer, StanceExtractor and ChartRenderer ports of bot.core.ports with
datasketch, the shared spaCy pipeline (blank English + the actor gazetteer) and matplotlib.
"""
