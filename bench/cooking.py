"""Time to cook a 10 kB post (target: well under 5 ms), next to core.markdown.render of the same
text, as a ratio measured in the same run. Results go to bench/results/cooking.json.

    .venv/bin/python bench/cooking.py [--rounds 50]

"typical" is prose with a few mentions, hashtags, links, a quote, code and a list; "link-dense"
has a URL, a mention and a hashtag every 50 words or so, plus bold text and code spans.
"hostile" is the slowest of the floods and deep nestings in tests/forum/test_cooking.py
(target: under a second each, so nobody can stall a worker with a post).
"""

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "cooking.json"
# The hostile corpus lives with its test (tests/forum/test_cooking.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
WORDS = ["the", "community", "forum", "discussion", "about", "words", "people", "share", "like"]
QUOTE = '[quote="alice, post:3, topic:42"]\nquoted **markdown**\n[/quote]'


def _all(handles: set[str]) -> dict[str, str]:
    return {handle: handle for handle in handles}  # every name links, as the worst case


def _all_tags(tags: set[str]) -> set[str]:
    return tags


def post(every: int, rng: random.Random) -> str:
    parts = [QUOTE, "```py\nprint(1)\n```", "* one\n* **two**"]
    while len("\n\n".join(parts).encode()) < 10240:
        words = [rng.choice(WORDS) for _ in range(every)]
        words += ["@alice", "#python", f"https://example.com/page/{len(parts)}", "**bold**", "`x`"]
        parts.append(" ".join(words) + ".")
    return "\n\n".join(parts)[:10240]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    import django

    django.setup()
    from townsquare.core.markdown import render
    from townsquare.forum.cooking import cook

    rng = random.Random(1)
    posts = {"typical": post(300, rng), "link-dense": post(40, rng)}
    result: dict[str, object] = {"python": sys.version.split()[0], "target_ms": 5}
    for name, source in posts.items():
        timings: dict[str, list[float]] = {"cook": [], "render": []}
        for _ in range(args.rounds):
            for label, function in (
                ("cook", lambda s=source: cook(s, resolve_handles=_all, resolve_tags=_all_tags)),
                ("render", lambda s=source: render(s)),
            ):
                start = time.perf_counter()
                function()
                timings[label].append(time.perf_counter() - start)
        cook_ms = statistics.median(timings["cook"]) * 1000
        render_ms = statistics.median(timings["render"]) * 1000
        result[name] = {
            "bytes": len(source.encode()),
            "median_ms_cook": round(cook_ms, 3),
            "median_ms_render": round(render_ms, 3),
            "ratio_cook_over_render": round(cook_ms / render_ms, 3),
        }
    from django.core.exceptions import ValidationError

    from tests.forum.test_cooking import HOSTILE

    slowest = 0.0
    for source in HOSTILE:
        start = time.perf_counter()
        with contextlib.suppress(ValidationError):  # refused is fine: the time still counts
            cook(source, resolve_handles=_all, resolve_tags=_all_tags)
        slowest = max(slowest, time.perf_counter() - start)
    result["hostile"] = {"cases": len(HOSTILE), "slowest_ms": round(slowest * 1000, 1),
                         "target_ms": 1000}  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
