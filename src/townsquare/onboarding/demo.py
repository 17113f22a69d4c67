"""The demo's welcome series: five steps (core/demo/onboarding.json), loaded once."""

import json
import re
from pathlib import Path

from townsquare.forum.models import Category
from townsquare.onboarding import actions
from townsquare.onboarding.models import OnboardingStep

DEMO_FILE = Path(__file__).resolve().parents[1] / "core" / "demo" / "onboarding.json"


def load() -> dict[str, int]:
    """Write the series unless the community has one already (then leave it as it is)."""
    if OnboardingStep.objects.exists():
        return {}
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    category = (
        Category.objects.filter(slug__in=data["introductions_categories"]).order_by("pk").first()
    )
    introductions = "the forum"
    if category is not None:
        name = re.sub(r"([\\\[\]])", r"\\\1", category.name)  # brackets stay text
        introductions = f"[{name}]({category.get_absolute_url()})"
    for entry in data["steps"]:
        literal = introductions.replace("{", "{{").replace("}", "}}")
        body = entry["body"].replace("{introductions}", literal)
        actions.create_step(
            None,
            day_offset=entry["day_offset"],
            subject=entry["subject"],
            body=body,
            goal=entry["goal"],
        )
    return {"steps": len(data["steps"])}
