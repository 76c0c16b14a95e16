"""Skill extraction on the hand-labelled gold sets: precision and recall by ROME domain (printed)."""

from __future__ import annotations

from matcher.core.settings import REPO_ROOT
from matcher.evaluation.skills import HELD_OUT, measure, read_gold, table
from matcher.runtime import load_extractor, load_taxonomy

CONTEXTS = {
    code for code, skill in load_taxonomy(REPO_ROOT / "data" / "rome").skills.items() if skill.kind == "contexte"
}


def _skill(source: str, code: str) -> bool:
    return not (source == "rome" and code in CONTEXTS)


def test_gold_set_covers_domains_and_extraction_keeps_its_figures() -> None:
    rows = read_gold()
    assert len(rows) >= 60 and len({r["domain"] for r in rows}) >= 10
    extractor = load_extractor(REPO_ROOT / "data")
    results = measure(extractor, rows)
    print("\n" + table(results))
    print("\nCompétences seules (sans les contextes de travail) :\n" + table(measure(extractor, rows, counted=_skill)))
    overall = results["toutes"]
    # Readings, pooled recall (tests/data/skills_gold/README.md): 0.771 / 0.727 before the one-word, noun-form
    # and one-reading rules of issue 14 item 2, 0.840 / 0.692 after. The target is 0.90 / 0.70.
    assert overall.precision >= 0.83 and overall.recall >= 0.68


def test_held_out_sets_labelled_before_the_rules() -> None:
    extractor = load_extractor(REPO_ROOT / "data")
    floors = {"heldout_dev": (0.73, 0.98), "heldout_final": (0.77, 0.84)}  # measured 0.737 / 0.988, 0.776 / 0.849
    for name, path in HELD_OUT.items():
        results = measure(extractor, read_gold(path))
        print(f"\n{name}\n" + table(results))
        precision, recall = floors[name]
        assert results["toutes"].precision >= precision and results["toutes"].recall >= recall, name


def test_a_rome_and_an_esco_skill_of_one_label_are_counted_as_one_reading() -> None:
    row = {
        "domain": "M",
        "text": "Ingénieur informatique. Vous rejoignez la direction des systèmes.",
        "skills": [
            {"source": "rome", "code": "104548", "label": "Informatique"},
            {"source": "esco", "code": "esco-informatique", "label": "informatique"},
        ],
    }
    counts = measure(load_extractor(REPO_ROOT / "data"), [row])["toutes"]
    assert (counts.gold, counts.found, counts.right) == (1, 1, 1)
