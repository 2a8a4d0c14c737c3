"""ask-redis: a senior Redis engineer in the terminal and inside other coding agents."""

__version__ = "0.1.0"
