"""Every change to the forum. Views, the API, the demo, importers and jobs call these."""

from townsquare.forum.actions.answers import accept_answer, unaccept_answer
from townsquare.forum.actions.categories import (
    create_category,
    delete_category,
    reorder_categories,
    update_category,
)
from townsquare.forum.actions.moderation import (
    TOPIC_SWITCHES,
    merge_topics,
    move_topic,
    pin_topic,
    reveal_anonymous_author,
    set_archived,
    set_closed,
    set_listed,
    split_topic,
    unpin_topic,
)
from townsquare.forum.actions.polls import close_poll, retract_vote, vote
from townsquare.forum.actions.posting import (
    create_post,
    create_topic,
    delete_post,
    edit_post,
    recover_post,
)
from townsquare.forum.actions.reactions import (
    add_bookmark,
    add_reaction,
    import_reaction,
    remove_bookmark,
    remove_reaction,
)
from townsquare.forum.actions.reading import (
    add_reading_time,
    mark_read,
    set_category_level,
    set_tag_level,
    set_topic_level,
)
from townsquare.forum.actions.scheduling import (
    cancel_schedule,
    publish_due_topics,
    schedule_topic,
    update_schedule,
)
from townsquare.forum.actions.uploads import attach_uploads, store_upload

__all__ = [
    "TOPIC_SWITCHES",
    "accept_answer",
    "add_bookmark",
    "add_reaction",
    "add_reading_time",
    "attach_uploads",
    "cancel_schedule",
    "close_poll",
    "create_category",
    "create_post",
    "create_topic",
    "delete_category",
    "delete_post",
    "edit_post",
    "import_reaction",
    "mark_read",
    "merge_topics",
    "move_topic",
    "pin_topic",
    "publish_due_topics",
    "recover_post",
    "remove_bookmark",
    "remove_reaction",
    "reorder_categories",
    "retract_vote",
    "reveal_anonymous_author",
    "schedule_topic",
    "set_archived",
    "set_category_level",
    "set_closed",
    "set_listed",
    "set_tag_level",
    "set_topic_level",
    "split_topic",
    "store_upload",
    "unaccept_answer",
    "unpin_topic",
    "update_category",
    "update_schedule",
    "vote",
]
