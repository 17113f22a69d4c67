"""Stable heading anchors of the guidelines, in every script, and the sections moderators
cite (/guidelines#be-kind)."""

import pytest

from townsquare.core import actions, markdown
from townsquare.moderation.guidelines import guideline_sections, guideline_url

pytestmark = pytest.mark.django_db

GUIDELINES = """# Our guidelines

## Be kind

No insults.

## Bądź uprzejmy

Po polsku.

## 友善待人，不要刷屏

中文。

## Be kind

Said twice.
"""


def test_headings_get_unicode_anchors_without_duplicates():
    html = markdown.render_with_anchors(GUIDELINES)
    assert '<h2 id="be-kind">Be kind</h2>' in html
    assert '<h2 id="bądź-uprzejmy">Bądź uprzejmy</h2>' in html
    assert '<h2 id="友善待人不要刷屏">友善待人，不要刷屏</h2>' in html
    assert '<h2 id="be-kind-2">Be kind</h2>' in html


def test_sections_of_the_version_in_force(admin_member):
    actions.publish_guidelines(admin_member, GUIDELINES)
    assert guideline_sections() == [
        ("our-guidelines", "Our guidelines"),
        ("be-kind", "Be kind"),
        ("bądź-uprzejmy", "Bądź uprzejmy"),
        ("友善待人不要刷屏", "友善待人，不要刷屏"),
        ("be-kind-2", "Be kind"),
    ]
    assert guideline_url("be-kind") == "/guidelines/#be-kind"
    assert guideline_url("") == "/guidelines/"


def test_the_guidelines_page_has_the_anchors(client, admin_member):
    actions.publish_guidelines(admin_member, GUIDELINES)
    page = client.get("/guidelines/").content.decode()
    assert 'id="be-kind"' in page and 'id="友善待人不要刷屏"' in page


def test_no_guidelines_no_sections(db):
    assert guideline_sections() == []


@pytest.mark.parametrize(
    "html",
    [
        '<h2 id="a b">x</h2>',
        '<h2 id="x&quot;onmouseover=alert(1)">x</h2>',
        '<h2 id="#top">x</h2>',
    ],
)
def test_sanitising_keeps_only_anchor_shaped_ids(html):
    assert "id=" not in markdown.sanitise(html)


def test_sanitising_keeps_heading_ids_and_nothing_else():
    cleaned = markdown.sanitise('<h2 id="ok" onclick="x()">y</h2><p id="z">p</p><a id="q">a</a>')
    assert cleaned == '<h2 id="ok">y</h2><p>p</p><a rel="nofollow ugc noopener noreferrer">a</a>'


def test_member_written_markdown_cannot_set_ids():
    # Raw HTML is off in markdown, so only render_with_anchors puts ids on headings.
    html = markdown.render('<h2 id="evil">x</h2>\n\n## Plain heading')
    assert "<h2>Plain heading</h2>" in html
    assert '<h2 id="evil">' not in html  # shown as text
