# ruff: noqa: E501 (demo sentences are kept whole, one per line)
"""A year of history for the demo community, so every analytics chart shows something
plausible on first open.

The other demo loaders write content; this one adds what a year of use leaves behind:

- page views of anonymous visitors (growing over the year, quieter at weekends, from
  search, social networks, referring sites, email and direct visits, with one day when a
  link on a news site brought a crowd) and of signed-in members;
- three hundred more members who signed up over the year (more of them lately) and
  mostly read, as most members of a real community do;
- members' visits (``member.visited``, through ``accounts.actions.touch_visit``) on the
  days they came, at a rhythm of their own: a few regulars, more occasional visitors, many
  lurkers, and some who went quiet months ago (members lost, members at risk);
- reactions given on those visits (``forum.actions.import_reaction``);
- Q&A questions in English, Chinese and Polish with first responses by members and staff
  at plausible delays, thanks from the asker and accepted answers (forum actions, which
  take the original time).

Everything goes through the actions with its original time; page views are built as the
request middleware builds them (``core.traffic.Seen``). A fixed random seed makes the
same history every time (relative to the day it is loaded). Loaded once.
"""

import bisect
import math
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Role, User
from townsquare.core import activity
from townsquare.core.jobs import once
from townsquare.core.models import PageView, Source
from townsquare.core.queries import current_guidelines
from townsquare.core.traffic import Seen
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import Category, Post, Topic

SEED = 2027
ONCE_KEY = "demo:analytics-history"
BATCH = 2000

#: Anonymous visitors a day, a year ago and now (before the weekly rhythm and noise).
VISITORS_THEN, VISITORS_NOW = 30, 120
#: Where anonymous visits come from, and the sites that send them.
VISITOR_SOURCES = [
    (Source.SEARCH, 38),
    (Source.DIRECT, 30),
    (Source.SOCIAL, 12),
    (Source.REFERRAL, 10),
    (Source.EMAIL, 10),
]
MEMBER_SOURCES = [
    (Source.DIRECT, 50),
    (Source.EMAIL, 30),
    (Source.SEARCH, 12),
    (Source.SOCIAL, 4),
    (Source.REFERRAL, 4),
]
REFERRERS = {
    Source.SEARCH: [
        ("google.com", 70), ("bing.com", 12), ("duckduckgo.com", 8), ("baidu.com", 6),
        ("yandex.ru", 4),
    ],
    Source.SOCIAL: [
        ("linkedin.com", 30), ("reddit.com", 25), ("x.com", 15), ("weibo.com", 12),
        ("wykop.pl", 10), ("mastodon.social", 8),
    ],
    Source.REFERRAL: [
        ("github.com", 45), ("dev.to", 20), ("stackoverflow.com", 20), ("medium.com", 15),
    ],
    Source.EMAIL: [("", 60), ("mail.google.com", 25), ("outlook.live.com", 15)],
    Source.DIRECT: [("", 1)],
}  # fmt: skip
#: The day a link on a news site brought a crowd: days ago, extra visitors, the site.
SPIKE = (41, 420, "news.ycombinator.com")

#: Personas: share of members, chance of a visit on a given day, chance of reacting on a
#: visit. Staff come most days.
PERSONAS = {
    "regular": (0.12, 0.40, 0.25),
    "occasional": (0.30, 0.12, 0.10),
    "lurker": (0.58, 0.06, 0.0),
}
#: The extra members who came to read.
READER_PERSONAS = {
    "regular": (0.03, 0.35, 0.25),
    "occasional": (0.12, 0.12, 0.08),
    "lurker": (0.85, 0.07, 0.0),
}
EXTRA_MEMBERS = 250  # in a year
NAMES = {
    "en": (["Alex", "Sam", "Jordan", "Taylor", "Chris", "Morgan", "Jamie", "Robin", "Casey",
            "Drew", "Emma", "Liam", "Olivia", "Noah", "Ava"],
           ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hall",
            "Green"]),
    "zh-hans": (["伟", "芳", "娜", "敏", "静", "磊", "洋", "婷", "杰", "涛"],
                ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"]),
    "pl": (["Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Agnieszka",
            "Michał", "Joanna", "Krzysztof"],
           ["Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski",
            "Zielińska", "Szymański"]),
}  # fmt: skip
STAFF_PERSONA = (1.0, 0.55, 0.30)
#: Share of members who stop coming some time after they joined.
QUIET_SHARE = 0.22
REACTIONS = [("like", 60), ("thanks", 18), ("insightful", 10), ("celebrate", 6), ("laugh", 6)]

#: Questions per week, a year ago and now; share answered, answered by staff, solved.
QUESTIONS_THEN, QUESTIONS_NOW = 1.5, 4.0
ANSWERED, BY_STAFF, SOLVED, THANKED = 0.85, 0.35, 0.65, 0.5

# The demo's Q&A categories by language (forum/demo/forum.json).
QA_CATEGORIES = {
    "en": ["questions", "api-integrations", "dashboards-reports", "admin-sso"],
    "zh-hans": ["zhongwen-wenda"],
    "pl": ["pl-pytania"],
}
LANGUAGE_WEIGHTS = [("en", 70), ("zh-hans", 15), ("pl", 15)]

THINGS = {
    "en": ["the webhook", "SSO login", "the CSV export", "the weekly digest", "the API token",
           "the dashboard", "email notifications", "the mobile app", "search", "user groups"],
    "zh-hans": ["Webhook", "单点登录", "CSV 导出", "每周摘要", "API 令牌", "仪表板", "邮件通知",
                "移动应用", "搜索", "用户组"],
    "pl": ["webhook", "logowanie SSO", "eksport CSV", "cotygodniowe podsumowanie", "token API",
           "panel", "powiadomienia e-mail", "aplikacja mobilna", "wyszukiwanie", "grupy"],
}  # fmt: skip
QUESTIONS = {
    "en": [
        (
            "How do I set up {thing}?",
            "I'm new here and trying to set up {thing} for our team. Is there a step-by-step guide somewhere?",
        ),
        (
            "{thing} stopped working after the update",
            "Since yesterday's update {thing} fails for us. Has anyone else seen this? Any workaround?",
        ),
        (
            "Best practice for {thing}?",
            "We are rolling out {thing} to about 200 people. What worked well for you?",
        ),
        (
            "Is {thing} available on the free plan?",
            "Quick question: can we use {thing} on the free plan, or only on paid ones?",
        ),
        (
            "Really frustrated: {thing} is broken again",
            "This is the third time this month that {thing} is broken. It is frustrating and our users are complaining. Is anyone looking at this?",
        ),
        (
            "Can {thing} be limited to one group?",
            "Is there a way to turn on {thing} only for one group of users?",
        ),
        (
            "Error message when using {thing}",
            "I get an error saying 'permission denied' when I use {thing}. I am an admin. What am I missing?",
        ),
    ],
    "zh-hans": [
        ("如何设置{thing}?", "我是新来的,想为团队设置{thing}。有没有详细的步骤说明?"),
        ("更新后{thing}无法使用", "昨天更新以后,我们的{thing}就不能用了。有人遇到同样的问题吗?"),
        ("{thing}有什么最佳实践?", "我们准备给两百人启用{thing},大家有什么经验可以分享?"),
        ("{thing}又坏了,很失望", "这个月{thing}已经第三次出问题了,用户一直在抱怨,太让人失望了。"),
        ("{thing}可以只对一个组开放吗?", "有没有办法只为一个用户组启用{thing}?"),
    ],
    "pl": [
        (
            "Jak skonfigurować {thing}?",
            "Jestem tu nowy i próbuję skonfigurować {thing} dla zespołu. Czy jest gdzieś instrukcja krok po kroku?",
        ),
        (
            "{thing} nie działa po aktualizacji",
            "Od wczorajszej aktualizacji {thing} u nas nie działa. Czy ktoś ma podobny problem?",
        ),
        (
            "Dobre praktyki: {thing}?",
            "Wdrażamy {thing} dla około 200 osób. Co się u was sprawdziło?",
        ),
        (
            "{thing} znowu nie działa, to frustrujące",
            "To już trzeci raz w tym miesiącu, kiedy {thing} przestaje działać. Użytkownicy są niezadowoleni.",
        ),
        (
            "Czy {thing} można ograniczyć do jednej grupy?",
            "Czy da się włączyć {thing} tylko dla jednej grupy użytkowników?",
        ),
    ],
}
ANSWERS = {
    "en": [
        "Yes: go to Settings, open the Integrations tab and follow the wizard. It takes about five minutes.",
        "We had the same problem. Clearing the cached token and signing in again fixed it for us.",
        "Good question! The documentation has a section on this; the short version is to start with one group and widen it later.",
        "This is a known issue and a fix is on its way. Meanwhile you can switch back to the previous setting.",
        "It works on every plan. Check that your role has the right permission first.",
    ],
    "zh-hans": [
        "可以的:打开设置,进入集成页面,按照向导操作,大约五分钟就能完成。",
        "我们也遇到过。清除缓存的令牌并重新登录就好了。",
        "好问题!文档里有专门的说明,建议先从一个组开始,再慢慢扩大范围。",
        "这是已知问题,修复很快就会发布。现在可以先切换回之前的设置。",
    ],
    "pl": [
        "Tak: wejdź w Ustawienia, otwórz zakładkę Integracje i przejdź przez kreator. Zajmuje to około pięciu minut.",
        "Mieliśmy to samo. Pomogło wyczyszczenie zapisanego tokenu i ponowne zalogowanie.",
        "Dobre pytanie! W dokumentacji jest o tym rozdział; w skrócie: zacznij od jednej grupy.",
        "To znany problem, poprawka jest w drodze. Na razie można wrócić do poprzedniego ustawienia.",
    ],
}
THANKS = {
    "en": [
        "Thank you, that worked!",
        "Great, thanks a lot for the quick help.",
        "Perfect, solved. Thanks!",
    ],
    "zh-hans": ["谢谢,问题解决了!", "太好了,非常感谢你的帮助。"],
    "pl": ["Dziękuję, działa!", "Super, wielkie dzięki za szybką pomoc."],
}


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _span(first: date, now: datetime) -> int:
    """Days of history, ``first`` to today."""
    return (now.astimezone(UTC).date() - first).days + 1


def _growth(day_index: int, span: int) -> float:
    """0.55 at the start of the history to 1.0 today: the community grows."""
    return 0.55 + 0.45 * day_index / span


def _weekday(day: date) -> float:
    return 0.6 if day.weekday() >= 5 else (1.1 if day.weekday() == 0 else 1.0)


def _moment(rng: random.Random, day: date, now: datetime) -> datetime:
    """A time of day on ``day`` (UTC), busier in the afternoon, never in the future."""
    hour = min(23.9, max(0.0, rng.gauss(14, 4)))
    at = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(hours=hour)
    return min(at, now - timedelta(minutes=1))


class _Site:
    """The pages a visitor can land on, by the time they existed."""

    def __init__(self) -> None:
        self.topics = list(
            Topic.objects.filter(deleted_at__isnull=True, category__read_access="everyone")
            .order_by("created_at")
            .values_list("pk", "slug", "created_at")
        )
        self.times = [created for _pk, _slug, created in self.topics]

    def path(self, rng: random.Random, at: datetime) -> tuple[str, str, str]:
        """(path, route, area) of a page that existed at ``at``."""
        existing = bisect.bisect_right(self.times, at)
        if not existing or rng.random() < 0.25:
            return rng.choice([("/", "home", ""), ("/latest/", "forum:latest", "forum")])
        # Newer topics are read more.
        pk, slug, _ = self.topics[int(existing * (1 - rng.random() ** 2))]
        return f"/t/{slug}/{pk}/", "forum:topic", "forum"


def _visit_views(
    rng: random.Random,
    site: _Site,
    at: datetime,
    now: datetime,
    *,
    user_id: int | None,
    address: str,
    source: str,
    referrer: str,
    pages: int,
) -> list[Seen]:
    """The page views of one visit: the landing page from its source, then internal
    (none later than ``now``)."""
    views = []
    for n in range(pages):
        path, route, area = site.path(rng, at)
        views.append(
            Seen(
                created_at=min(at + timedelta(minutes=2 * n), now),
                user_id=user_id,
                address=address,
                user_agent="Mozilla/5.0 (demo)",
                path=path,
                route=route,
                area=area,
                source=source if n == 0 else Source.INTERNAL,
                referrer_host=referrer if n == 0 else "",
                status=200,
            )
        )
    return views


def _visitors(rng: random.Random, site: _Site, first: date, now: datetime) -> list[Seen]:
    """Anonymous visitors' page views, day by day."""
    views: list[Seen] = []
    spike_day = now.date() - timedelta(days=SPIKE[0])
    span = _span(first, now)
    for index in range(span):
        day = first + timedelta(days=index)
        base = VISITORS_THEN + (VISITORS_NOW - VISITORS_THEN) * index / span
        count = max(0, round(base * _weekday(day) * rng.uniform(0.8, 1.2)))
        crowd = SPIKE[1] if day == spike_day else 0
        for n in range(count + crowd):
            if n < count:
                source = _pick(rng, VISITOR_SOURCES)
                referrer = _pick(rng, REFERRERS[source])
            else:
                source, referrer = Source.SOCIAL, SPIKE[2]
            at = _moment(rng, day, now)
            pages = 1 + min(int(rng.expovariate(0.7)), 9)
            views += _visit_views(
                rng, site, at, now, user_id=None, address=f"visitor-{day}-{n}", source=source,
                referrer=referrer, pages=pages,
            )  # fmt: skip
    return views


def _extra_members(rng: random.Random, first: date, now: datetime) -> list[int]:
    """Members who signed up over the year, more of them lately (the community grows),
    and who mostly read: the demo's named people all write, a real community does not."""
    guidelines = current_guidelines()
    made = []
    span = _span(first, now)
    for n in range(round(EXTRA_MEMBERS * span / 365)):  # as many as a year brings
        language = _pick(rng, LANGUAGE_WEIGHTS)
        given, family = rng.choice(NAMES[language][0]), rng.choice(NAMES[language][1])
        handle = f"reader{n + 1:03d}"
        if User.objects.filter(handle=handle).exists():
            continue
        # Linear growth of sign-ups: the density of a join day rises with its index.
        ago = (span - 1) * (1 - math.sqrt(rng.random()))
        joined = now - timedelta(days=ago, hours=rng.random())
        with activity.as_of(joined):
            user = account_actions.register_member(
                email=f"{handle}@readers.example.com", handle=handle,
                display_name=f"{given} {family}" if language != "zh-hans" else family + given,
                password=None, language=language,
                timezone_name={"en": "Europe/London", "zh-hans": "Asia/Shanghai",
                               "pl": "Europe/Warsaw"}[language],
            )  # fmt: skip
            if guidelines is not None:
                account_actions.accept_guidelines(user, guidelines)
        User.objects.filter(pk=user.pk).update(date_joined=joined)
        made.append(user.pk)
    return made


def _persona(rng: random.Random, user: User, reader: bool) -> tuple[float, float, float]:
    if user.role != Role.MEMBER:
        return STAFF_PERSONA
    roll, edge = rng.random(), 0.0
    for share, visit, react in (READER_PERSONAS if reader else PERSONAS).values():
        edge += share
        if roll < edge:
            return share, visit, react
    return PERSONAS["lurker"]


def _members(
    rng: random.Random,
    site: _Site,
    first: date,
    now: datetime,
    posts: list[tuple],
    readers: set[int],
) -> tuple[list[Seen], dict[str, int]]:
    """Members' visits (recorded as they happen) and reactions; their page views are
    returned to be written in bulk."""
    views: list[Seen] = []
    counts = Counter(visits=0, reactions=0, quiet=0)
    span = _span(first, now)
    members = list(User.objects.filter(is_active=True).order_by("pk"))
    for user in members:
        _share, visit, react = _persona(rng, user, user.pk in readers)
        joined = max(user.date_joined.astimezone(UTC).date(), first)
        last = now.date()
        if user.role == Role.MEMBER and user.handle != "member" and rng.random() < QUIET_SHARE:
            tenure = (last - joined).days
            if tenure > 45:
                last = joined + timedelta(days=rng.randint(14, tenure - 30))
                counts["quiet"] += 1
        day = joined
        while day <= last:
            index = (day - first).days
            if rng.random() < visit * _growth(index, span) * _weekday(day):
                at = max(_moment(rng, day, now), user.date_joined)
                account_actions.touch_visit(user, at=at)
                counts["visits"] += 1
                source = _pick(rng, MEMBER_SOURCES)
                views += _visit_views(
                    rng, site, at, now, user_id=user.pk, address=f"member-{user.pk}", source=source,
                    referrer=_pick(rng, REFERRERS[source]), pages=rng.randint(1, 6),
                )  # fmt: skip
                if rng.random() < react:
                    counts["reactions"] += _react(rng, user, at, now, posts)
            day += timedelta(days=1)
    return views, dict(counts)


def _react(rng: random.Random, user: User, at: datetime, now: datetime, posts: list[tuple]) -> int:
    """One or two reactions to recent posts by others (of the last 60 days)."""
    times = [created for _pk, _author, created in posts]
    window = posts[
        bisect.bisect_left(times, at - timedelta(days=60)) : bisect.bisect_left(times, at)
    ]
    recent = [p for p in window if p[1] != user.pk]
    given = 0
    for post_id, _author, created in rng.sample(recent, k=min(len(recent), rng.randint(1, 2))):
        when = min(max(at, created + timedelta(minutes=5)), now)
        post = Post(pk=post_id)
        if forum_actions.import_reaction(user, post, _pick(rng, REACTIONS), at=when):
            given += 1
    return given


def _questions(rng: random.Random, first: date, now: datetime) -> dict[str, int]:
    """Q&A questions over the year, with responses, thanks and accepted answers."""
    categories = {c.slug: c for c in Category.objects.filter(kind="qa")}
    wanted = {
        lang: [categories[s] for s in slugs if s in categories]
        for lang, slugs in QA_CATEGORIES.items()
    }
    people = list(User.objects.filter(is_active=True).order_by("pk"))
    staff = [u for u in people if u.role != Role.MEMBER]
    counts = Counter(questions=0, answers=0, solved=0)
    span = _span(first, now)
    for index in range(span):
        day = first + timedelta(days=index)
        rate = (QUESTIONS_THEN + (QUESTIONS_NOW - QUESTIONS_THEN) * index / span) / 7
        for _ in range(_poisson(rng, rate * _weekday(day))):
            language = _pick(rng, LANGUAGE_WEIGHTS)
            if not wanted[language]:
                continue
            asked = _moment(rng, day, now)
            members = [
                u for u in people if u.role == Role.MEMBER and u.date_joined <= asked
            ] or people
            speakers = [u for u in members if u.language == language] or members
            author = rng.choice(speakers)
            thing = rng.choice(THINGS[language])
            title, body = rng.choice(QUESTIONS[language])
            topic = forum_actions.create_topic(
                None, rng.choice(wanted[language]), title=title.format(thing=thing)[:1].upper()
                + title.format(thing=thing)[1:], body=body.format(thing=thing), author=author,
                created_at=asked,
            )  # fmt: skip
            counts["questions"] += 1
            if rng.random() > ANSWERED:
                continue
            answered = asked + timedelta(hours=min(96.0, rng.lognormvariate(math.log(4), 1.1)))
            if answered >= now:
                continue
            helpers = staff if rng.random() < BY_STAFF else [u for u in members if u != author]
            answer = forum_actions.create_post(
                None, topic, body=rng.choice(ANSWERS[language]),
                author=rng.choice(helpers or staff), created_at=answered,
            )  # fmt: skip
            counts["answers"] += 1
            later = answered + timedelta(hours=rng.lognormvariate(math.log(5), 0.8))
            if later >= now:
                continue
            if rng.random() < THANKED:
                forum_actions.create_post(
                    None, topic, body=rng.choice(THANKS[language]), reply_to=answer,
                    author=author, created_at=later,
                )  # fmt: skip
            if rng.random() < SOLVED:
                forum_actions.accept_answer(None, answer, at=later)
                counts["solved"] += 1
    return dict(counts)


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw (Knuth), for a handful of questions a day."""
    limit, k, p = math.exp(-rate), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def load() -> dict[str, int]:
    """Add the year of history once; returns what was added ({} the second time)."""
    with once(ONCE_KEY) as first_time:
        if not first_time:
            return {}
        return _load()


def _load() -> dict[str, int]:
    rng = random.Random(SEED)
    now = timezone.now()
    first = now.astimezone(UTC).date() - timedelta(days=settings.DEMO_HISTORY_DAYS - 1)
    readers = set(_extra_members(rng, first, now))
    counts = _questions(rng, first, now) | {"members": len(readers)}
    posts = list(
        Post.objects.filter(deleted_at__isnull=True, topic__category__read_access="everyone")
        .order_by("created_at", "pk")
        .values_list("pk", "author_id", "created_at")
    )
    site = _Site()
    member_views, visits = _members(rng, site, first, now, posts, readers)
    views = _visitors(rng, site, first, now) + member_views
    for start in range(0, len(views), BATCH):
        PageView.objects.bulk_create([seen.as_row() for seen in views[start : start + BATCH]])
    return counts | visits | {"pageviews": len(views), "days": settings.DEMO_HISTORY_DAYS}
