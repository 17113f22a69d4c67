"""The forum's data: categories, topics, posts and what members do with them."""

from townsquare.forum.models.categories import Audience, Category, CategoryKind
from townsquare.forum.models.polls import Poll, PollKind, PollOption, PollVote
from townsquare.forum.models.posts import (
    Bookmark,
    Post,
    PostKind,
    PostRevision,
    Reaction,
    ReactionKind,
)
from townsquare.forum.models.reading import (
    CategoryNotificationSetting,
    NotificationLevel,
    TagNotificationSetting,
    TopicReadState,
)
from townsquare.forum.models.scheduling import Recurrence, ScheduledTopic
from townsquare.forum.models.topics import PinScope, Tag, Topic, TopicTag
from townsquare.forum.models.uploads import Upload

__all__ = [
    "Audience", "Bookmark", "Category", "CategoryKind", "CategoryNotificationSetting",
    "NotificationLevel", "PinScope", "Poll", "PollKind", "PollOption", "PollVote", "Post",
    "PostKind", "PostRevision", "Reaction", "ReactionKind", "Recurrence", "ScheduledTopic",
    "Tag", "TagNotificationSetting", "Topic", "TopicReadState", "TopicTag", "Upload",
]  # fmt: skip
