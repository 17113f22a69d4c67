"""Attachments: uploaded with a post, linked from it, served only to who may read it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.forum.conftest import client_for
from townsquare.forum import actions
from townsquare.forum.models import Audience, Topic, Upload


def png(size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile("screen shot.png", buffer.getvalue(), content_type="image/png")


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("report.pdf", b"%PDF-1.4\n%fake but signed\n", "application/pdf")


@pytest.mark.django_db
def test_composer_attaches_files_and_links_them(member, bob, general):
    client = client_for(member)
    response = client.post(
        "/new-topic/",
        {"category": general.pk, "title": "Screenshot of the bug", "body": "See attached.",
         "tags": "", "attachments": [png(), pdf()]},
    )  # fmt: skip
    assert response.status_code == 302
    topic = Topic.objects.get()
    post = topic.posts.get()
    document, image = Upload.objects.order_by("kind")  # "file" sorts before "image"
    assert post.body.count("/media/uploads/") == 2
    assert set(post.uploads.all()) == {image, document}
    assert f'src="{image.file.url}"' in post.body_html
    # Readers get the file; a PDF downloads under its own name.
    reader = client_for(bob)
    assert reader.get(image.file.url).status_code == 200
    download = reader.get(document.file.url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_a_bad_attachment_is_refused_and_the_text_kept(member, general):
    fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", "image/png")
    response = client_for(member).post(
        "/new-topic/",
        {"category": general.pk, "title": "Attachment trouble", "body": "My words stay.",
         "tags": "", "attachments": [fake]},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "My words stay." in page
    assert Topic.objects.count() == 0 and Upload.objects.count() == 0


@pytest.mark.django_db
def test_attachments_in_private_categories_stay_private(member, bob, guidelines):
    from tests.conftest import make_member
    from townsquare.groups import actions as group_actions

    board = group_actions.create_group(None, name="Board")
    group_actions.add_member(None, board, member)
    secret = actions.create_category(
        None, name="Board room", read_access=Audience.GROUPS, read_groups=[board]
    )
    upload = actions.store_upload(member, png())
    assert client_for(bob).get(upload.file.url).status_code == 404  # not used anywhere yet
    assert client_for(member).get(upload.file.url).status_code == 200  # the uploader
    actions.create_topic(member, secret, title="Board deck", body=f"![deck]({upload.file.url})")
    assert client_for(bob).get(upload.file.url).status_code == 404
    assert client_for(None).get(upload.file.url).status_code == 404
    insider = make_member("insider", guidelines)
    group_actions.add_member(None, board, insider)
    assert client_for(insider).get(upload.file.url).status_code == 200
