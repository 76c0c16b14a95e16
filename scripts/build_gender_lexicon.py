"""Write indices/lexicon/feminine-fr.tsv: French feminine job-title words and their masculine form.

Derived from ROME 4.0 job titles, which name both forms ("Animateur sportif / Animatrice sportive"):
the words of each side are paired in order, and a pair is kept when both words share a stem. The
analysis chain maps feminine forms to masculine ones, so "Jardinière" and "Jardinier" match the same
offers with the same score (see the situation tests).

    uv run python scripts/build_gender_lexicon.py
"""

from __future__ import annotations

import re
from collections import Counter

from matcher.core.settings import REPO_ROOT
from matcher.runtime import load_taxonomy

OUT = REPO_ROOT / "indices" / "lexicon" / "feminine-fr.tsv"
NOT_GENDER = frozenset({"pricing"})  # "Pricing manager / Responsable prix": a translation, not a gender
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def pairs(label: str) -> list[tuple[str, str]]:
    if label.count(" / ") != 1:
        return []
    left, right = (side.lower() for side in label.split(" / "))
    masculine, feminine = _WORD.findall(left), _WORD.findall(right)
    found = []
    for m, f in zip(masculine, feminine[: len(masculine)], strict=False):
        same_number = f.endswith("s") == m.endswith("s")  # "données / donnée" is a plural, not a gender
        if m != f and len(m) >= 3 and f[:3] == m[:3] and len(f) >= len(m) and same_number and f not in NOT_GENDER:
            found.append((f, m))
    return found


def main() -> None:
    taxonomy = load_taxonomy(REPO_ROOT / "data" / "rome")
    votes: Counter[tuple[str, str]] = Counter()
    for title in taxonomy.job_titles.values():
        votes.update(pairs(title.label))
    best: dict[str, tuple[str, int]] = {}
    for (feminine, masculine), n in votes.items():
        if feminine not in best or n > best[feminine][1]:
            best[feminine] = (masculine, n)
    # A word seen as a masculine form somewhere is never rewritten (e.g. "principale" yes, "chef" no).
    masculine_words = {m for m, _ in best.values()}
    lines = sorted(f"{f}\t{m}" for f, (m, _) in best.items() if f not in masculine_words)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        "# feminine<TAB>masculine, from ROME 4.0 job titles (scripts/build_gender_lexicon.py)\n"
        + "\n".join(lines)
        + "\n"
    )
    print(f"{len(lines)} pairs -> {OUT.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
