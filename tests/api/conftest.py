"""API fixtures: the forum's categories and roles, and a JSON client with a bearer token."""

import json

import pytest
from django.test import Client

from tests.forum.conftest import (  # noqa: F401  (fixtures)
    bob,
    general,
    lounge,
    manager,
    moderator,
    newcomers,
    questions,
)
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.forum import tracking


class Api:
    """A JSON client for /api/v1/, signed in by a personal token (or a visitor)."""

    def __init__(self, user: User | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            raw = account_actions.create_api_token(user, user, "tests")[1]
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"

    def _send(self, method: str, path: str, data=None, headers: dict | None = None):
        extra = self.headers | {
            f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()
        }
        call = getattr(self.client, method)
        if method in {"get", "delete"} and data is None:
            return call(f"/api/v1{path}", **extra)
        return call(
            f"/api/v1{path}", data=json.dumps(data or {}), content_type="application/json", **extra
        )

    def get(self, path: str, **query):
        return self.client.get(f"/api/v1{path}", query, **self.headers)

    def post(self, path: str, data=None, headers: dict | None = None):
        return self._send("post", path, data, headers)

    def put(self, path: str, data=None):
        return self._send("put", path, data)

    def patch(self, path: str, data=None):
        return self._send("patch", path, data)

    def delete(self, path: str):
        return self._send("delete", path)


@pytest.fixture(autouse=True)
def _topic_views_stay_in_their_test(db):
    """Topic views are counted in memory and written when due; write them within the test
    that made them, so no other test's queries include them."""
    tracking.counter.flush()
    yield
    tracking.counter.flush()
