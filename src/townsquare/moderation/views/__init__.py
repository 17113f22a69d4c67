"""Moderation's pages, one module per topic."""
