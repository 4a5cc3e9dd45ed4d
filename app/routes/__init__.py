"""Blueprints: ``web`` (HTML pages), ``api`` (JSON under /api) and ``health``."""
