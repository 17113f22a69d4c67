"""Townsquare: an open-source online community platform."""

from townsquare.celery import app as celery_app

__all__ = ["celery_app"]
