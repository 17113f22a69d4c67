"""The sections of the community guidelines that moderators cite."""

# PLACEHOLDER (owner: H2) — H2's guideline anchors replace this module at merge.

from django.utils.text import slugify

from townsquare.core.queries import current_guidelines


def guideline_sections() -> list[tuple[str, str]]:
    """(anchor, title) of each "## " section of the current guidelines."""
    found = current_guidelines()
    if found is None:
        return []
    titles = [line[3:].strip() for line in found.body.splitlines() if line.startswith("## ")]
    return [(slugify(title, allow_unicode=True), title) for title in titles if title]
