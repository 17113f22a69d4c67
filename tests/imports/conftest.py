import pytest
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts.models import Role


@pytest.fixture
def manager(guidelines):
    return make_member("manager", guidelines, role=Role.MANAGER)


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def upload(client: Client, text: str | bytes, name: str = "members.csv"):
    """Upload a file for the dry run; returns the report page."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = text.encode() if isinstance(text, str) else text
    response = client.post(
        "/manage/members/import/", {"file": SimpleUploadedFile(name, data, "text/csv")}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])
