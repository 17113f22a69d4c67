from django.http import HttpRequest
from ninja import Router, Schema

from townsquare.api.access import require_area
from townsquare.core.queries import community_for, current_guidelines

router = Router(tags=["community"])


class CommunityOut(Schema):
    name: str
    tagline: str
    logo_url: str | None
    mission: str
    mission_html: str
    goals: str
    goals_html: str
    access_mode: str
    public_areas: list[str]
    guidelines_version: int | None
    guidelines_url: str


@router.get("/community", response=CommunityOut, summary="The community's identity and mission")
def get_community(request: HttpRequest) -> dict:
    require_area(request, "home")
    community = community_for(request)
    guidelines = current_guidelines()
    return {
        "name": community.name,
        "tagline": community.tagline,
        "logo_url": request.build_absolute_uri(community.logo.url) if community.logo else None,
        "mission": community.mission,
        "mission_html": community.mission_html,
        "goals": community.goals,
        "goals_html": community.goals_html,
        "access_mode": community.access_mode,
        "public_areas": community.public_areas,
        "guidelines_version": guidelines.version if guidelines else None,
        "guidelines_url": request.build_absolute_uri("/guidelines/"),
    }
