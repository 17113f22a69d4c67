"""Memory and time of the lemma dictionaries search uses (simplemma, Polish and English):
the in-memory dict simplemma builds by default against its low-memory reader, which
townsquare.search.analysis uses.

Each variant runs in a fresh process: load the dictionaries, then lemmatise every distinct
word of the demo forum (no cache in front). Results go to
bench/results/search-dictionaries.json, with the low-memory variant as ratios of the default.

    .venv/bin/python bench/search_dictionaries.py
"""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "src" / "townsquare" / "forum" / "demo" / "forum.json"
RESULT = Path(__file__).parent / "results" / "search-dictionaries.json"
LANGUAGES = ("pl", "en")


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def measure(low_memory: bool) -> dict:
    """Run in the child process: what loading and looking up cost this variant."""
    import simplemma

    words = re.findall(r"[^\W\d_]+", CORPUS.read_text(encoding="utf-8").casefold())
    words = list(dict.fromkeys(w for w in words if not re.search(r"[\u3400-\u9fff]", w)))
    before = _rss_mb()
    started = time.perf_counter()
    for language in LANGUAGES:
        simplemma.lemmatize("a", lang=language, low_memory=low_memory)
    load_s = time.perf_counter() - started
    loaded = _rss_mb()
    started = time.perf_counter()
    lemmas = [simplemma.lemmatize(w, lang=LANGUAGES, low_memory=low_memory) for w in words]
    lookup_us = (time.perf_counter() - started) / len(words) * 1e6
    return {
        "load_s": round(load_s, 2),
        "dictionaries_rss_mb": round(loaded - before, 1),
        "lookup_us_per_word": round(lookup_us, 1),
        "words": len(words),
        "lemmas": lemmas,
    }


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] in ("default", "low_memory"):
        print(json.dumps(measure(sys.argv[1] == "low_memory")))
        return
    runs = {}
    for variant in ("default", "low_memory"):
        child = subprocess.run(
            [sys.executable, __file__, variant], capture_output=True, text=True, check=True
        )
        runs[variant] = json.loads(child.stdout)
    same = runs["default"].pop("lemmas") == runs["low_memory"].pop("lemmas")
    ratios = {
        key: round(runs["low_memory"][key] / runs["default"][key], 2)
        for key in ("load_s", "dictionaries_rss_mb", "lookup_us_per_word")
    }
    result = {"runs": runs, "low_memory_over_default": ratios, "same_lemmas": same}
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    for variant, run in runs.items():
        print(
            f"{variant:11} load {run['load_s']:5.2f} s  "
            f"dictionaries {run['dictionaries_rss_mb']:6.1f} MB  "
            f"lookup {run['lookup_us_per_word']:6.1f} us/word ({run['words']} words)"
        )
    print(f"low_memory / default: {ratios}; same lemmas: {same}")
    if not same:
        sys.exit("the two dictionaries give different lemmas")


if __name__ == "__main__":
    main()
