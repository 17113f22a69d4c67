from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from townsquare.forum.links import url_for


class CategoryKind(models.TextChoices):
    DISCUSSION = "discussion", _("Discussion")
    QA = "qa", _("Questions and answers")
    ANNOUNCEMENTS = "announcements", _("Announcements (only staff start topics)")
    ANONYMOUS = "anonymous", _("Anonymous posting allowed")


class Audience(models.TextChoices):
    """Who may do something in a category. Staff (moderators, managers, admins) always may."""

    EVERYONE = "everyone", _("Everyone, visitors included")
    MEMBERS = "members", _("Members")
    GROUPS = "groups", _("Members of chosen groups")
    STAFF = "staff", _("Staff only")


READ_AUDIENCES = [Audience.EVERYONE, Audience.MEMBERS, Audience.GROUPS]
WRITE_AUDIENCES = [Audience.MEMBERS, Audience.GROUPS, Audience.STAFF]

color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f5fbf."))


class Category(models.Model):
    """A place for topics. One level of subcategories: a parent has no parent itself.

    Who may read, start topics and reply is answered by the permission policy
    (core.permissions) from the audiences and groups stored here; a subcategory is never
    readable by someone who cannot read its parent.
    """

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("address"), max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    color = models.CharField(
        _("colour"), max_length=7, default="#1f5fbf", validators=[color_validator]
    )
    position = models.IntegerField(_("position"), default=0)
    kind = models.CharField(
        _("kind"), max_length=15, choices=CategoryKind.choices, default=CategoryKind.DISCUSSION
    )
    read_access = models.CharField(
        _("who may read"),
        max_length=10,
        choices=[(a.value, a.label) for a in READ_AUDIENCES],
        default=Audience.EVERYONE,
    )
    topic_access = models.CharField(
        _("who may start topics"),
        max_length=10,
        choices=[(a.value, a.label) for a in WRITE_AUDIENCES],
        default=Audience.MEMBERS,
    )
    reply_access = models.CharField(
        _("who may reply"),
        max_length=10,
        choices=[(a.value, a.label) for a in WRITE_AUDIENCES],
        default=Audience.MEMBERS,
    )
    read_groups = models.ManyToManyField(
        "groups.Group", blank=True, related_name="readable_categories"
    )
    topic_groups = models.ManyToManyField(
        "groups.Group", blank=True, related_name="topic_categories"
    )
    reply_groups = models.ManyToManyField(
        "groups.Group", blank=True, related_name="reply_categories"
    )
    # Topics and posts that are not deleted; kept by the actions.
    topic_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return url_for("forum:category", self.slug)

    @property
    def is_qa(self) -> bool:
        return self.kind == CategoryKind.QA

    @property
    def allows_anonymous(self) -> bool:
        return self.kind == CategoryKind.ANONYMOUS
