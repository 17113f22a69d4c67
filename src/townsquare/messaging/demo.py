"""Demo conversations for the demo administrator: a one-to-one thread in each language and
a small group conversation, some read and some not. Runs once (skipped when the
administrator already takes part in a conversation)."""

from townsquare.accounts.models import User
from townsquare.core.queries import get_community
from townsquare.messaging import actions
from townsquare.messaging.models import Participant

# (the other participants by position among the demo members, then the messages as
# (speaker: "admin" or a position, text)); the last message of some stays unread.
THREADS = [
    (
        [0],
        [
            (0, "Hi! Could we feature our user group's meetup on the home page next week?"),
            ("admin", "Happy to — send me the date and a short description."),
            (0, "Thursday 18:00, **Warsaw office**. I'll post the agenda in the group."),
        ],
    ),
    (
        [1],
        [
            ("admin", "你好！感谢你在问答区的回答，我们想邀请你加入客户顾问委员会。"),
            (1, "谢谢邀请！我很乐意参加，请问每个月开会一次吗？"),
        ],
    ),
    (
        [2, 3],
        [
            ("admin", "Dzień dobry! Zbieramy tematy na kolejną sesję AMA — jakie macie pomysły?"),
            (2, "Może uprawnienia grup i eksport raportów?"),
            (3, "+1 dla eksportu, wielu klientów o to pyta."),
        ],
    ),
]


def load() -> dict[str, int] | None:
    admin = User.objects.filter(email__iexact="admin@example.com").first()
    if admin is None or Participant.objects.filter(user=admin).exists():
        return None
    people = list(User.objects.filter(email__endswith="@members.example.com").order_by("-pk")[:4])
    if len(people) < 4:
        return None
    community = get_community()
    messages = 0
    for positions, lines in THREADS:
        others = [people[position] for position in positions]
        speaker = admin if lines[0][0] == "admin" else people[lines[0][0]]
        handles = [user.handle for user in [admin, *others] if user != speaker]
        conversation = actions.start_conversation(speaker, community, handles, lines[0][1])
        for who, text in lines[1:]:
            author = admin if who == "admin" else people[who]
            actions.send_message(author, conversation, text)
        # The administrator has read what they wrote last; the rest waits unread.
        if lines[-1][0] == "admin":
            actions.mark_read(admin, conversation)
        messages += len(lines)
    return {"conversations": len(THREADS), "messages": messages}
