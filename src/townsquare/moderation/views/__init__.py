"""Moderators' pages, one module per topic."""
