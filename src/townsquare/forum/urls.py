from django.urls import path

from townsquare.forum import feeds
from townsquare.forum.views import lists, manage, moderation, topics

app_name = "forum"

urlpatterns = [
    # Lists
    path("latest/", lists.topic_list, {"tab": "latest"}, name="latest"),
    path("new/", lists.topic_list, {"tab": "new"}, name="new"),
    path("unread/", lists.topic_list, {"tab": "unread"}, name="unread"),
    path("top/", lists.topic_list, {"tab": "top"}, name="top"),
    path("unanswered/", lists.topic_list, {"tab": "unanswered"}, name="unanswered"),
    path("unsolved/", lists.topic_list, {"tab": "unsolved"}, name="unsolved"),
    path("categories/", lists.category_list, name="categories"),
    path("c/<str:slug>/", lists.category_topics, name="category"),
    path("c/<str:slug>/level/", lists.category_level, name="category_level"),
    path("c/<str:slug>/<str:tab>/", lists.category_topics, name="category_tab"),
    path("tags/", lists.tag_list, name="tags"),
    path("tags/<str:name>/", lists.tag_topics, name="tag"),
    path("tags/<str:name>/level/", lists.tag_level, name="tag_level"),
    path("bookmarks/", lists.bookmark_list, name="bookmarks"),
    path("reader-counts/", lists.reader_counts, name="reader_counts"),
    # Feeds
    path("latest.rss", feeds.latest_rss, name="latest_feed_rss"),
    path("latest.atom", feeds.latest_atom, name="latest_feed_atom"),
    path("c/<str:slug>/feed.rss", feeds.category_rss, name="category_feed_rss"),
    path("c/<str:slug>/feed.atom", feeds.category_atom, name="category_feed_atom"),
    path("tags/<str:name>/feed.rss", feeds.tag_rss, name="tag_feed_rss"),
    path("tags/<str:name>/feed.atom", feeds.tag_atom, name="tag_feed_atom"),
    # Topics and posts
    path("t/<int:topic_id>/", topics.topic_redirect, name="topic_short"),
    path("t/<str:slug>/<int:topic_id>/", topics.topic_detail, name="topic"),
    path("p/<int:topic_id>/<int:number>/", topics.post_link, name="post_link"),
    path("new-topic/", topics.new_topic, name="new_topic"),
    path("t/<int:topic_id>/reply/", topics.reply, name="reply"),
    path("t/<int:topic_id>/unaccept/", topics.unaccept, name="unaccept"),
    path("t/<int:topic_id>/level/", topics.topic_level, name="topic_level"),
    path("t/<int:topic_id>/reading/", topics.reading, name="reading"),
    path("posts/<int:post_id>/edit/", topics.edit, name="edit"),
    path("posts/<int:post_id>/delete/", topics.delete, name="delete"),
    path("posts/<int:post_id>/recover/", topics.recover, name="recover"),
    path("posts/<int:post_id>/react/", topics.react, name="react"),
    path("posts/<int:post_id>/bookmark/", topics.bookmark, name="bookmark"),
    path("posts/<int:post_id>/accept/", topics.accept, name="accept"),
    path("posts/<int:post_id>/revisions/", topics.revisions, name="revisions"),
    path("polls/<int:poll_id>/vote/", topics.poll_vote, name="poll_vote"),
    path("polls/<int:poll_id>/close/", topics.poll_close, name="poll_close"),
    path("preview/", topics.preview, name="preview"),
    # Moderation
    path("t/<int:topic_id>/moderate/", moderation.moderate, name="moderate"),
    path("t/<int:topic_id>/move/", moderation.move, name="move"),
    path("t/<int:topic_id>/split/", moderation.split, name="split"),
    path("t/<int:topic_id>/merge/", moderation.merge, name="merge"),
    path("posts/<int:post_id>/reveal/", moderation.reveal, name="reveal"),
    # Managers
    path("manage/categories/", manage.categories, name="manage_categories"),
    path("manage/categories/new/", manage.category_form, name="category_new"),
    path("manage/categories/<int:category_id>/", manage.category_form, name="category_edit"),
    path(
        "manage/categories/<int:category_id>/delete/",
        manage.category_delete,
        name="category_delete",
    ),
    path("manage/scheduled/", manage.scheduled, name="scheduled"),
    path("manage/scheduled/new/", manage.schedule_form, name="schedule_new"),
    path("manage/scheduled/<int:scheduled_id>/", manage.schedule_form, name="schedule_edit"),
    path(
        "manage/scheduled/<int:scheduled_id>/cancel/",
        manage.schedule_cancel,
        name="schedule_cancel",
    ),
]
