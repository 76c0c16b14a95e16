"""Skill extraction on the hand-labelled gold sets: precision and recall by ROME domain (printed)."""

from __future__ import annotations

from matcher.core.settings import REPO_ROOT
from matcher.evaluation.skills import HELD_OUT, Reading, as_the_service_reads, measure, read_gold, table
from matcher.runtime import load_classifier, load_extractor, load_taxonomy

TAXONOMY = load_taxonomy(REPO_ROOT / "data" / "rome")
CONTEXTS = {code for code, skill in TAXONOMY.skills.items() if skill.kind == "contexte"}


def _skill(source: str, code: str) -> bool:
    return not (source == "rome" and code in CONTEXTS)


def test_gold_set_covers_domains_and_extraction_keeps_its_figures() -> None:
    rows = read_gold()
    assert len(rows) >= 60 and len({r["domain"] for r in rows}) >= 10
    extractor = load_extractor(REPO_ROOT / "data")
    results = measure(extractor, rows)
    print("\n" + table(results))
    skills_only = measure(extractor, rows, Reading(counted=_skill))
    print("\nCompétences seules (sans les contextes de travail) :\n" + table(skills_only))
    overall = results["toutes"]
    # Readings, pooled recall (tests/data/skills_gold/README.md): 0.771 / 0.727 before the one-word, noun-form
    # and one-reading rules of issue 14 item 2, 0.840 / 0.692 after, 0.856 / 0.683 with the employer rule, 0.857 /
    # 0.687 once "Directeur (trice)" read as a title without its gender mark. The target is 0.90 / 0.70.
    assert overall.precision >= 0.85 and overall.recall >= 0.68


# Measured (precision, recall): the extractor alone, then as the service reads. heldout_blind to heldout_blind4 were
# labelled by a second reader, blind to the extractor's rules and to the first reader, and measured once (README).
FLOORS = {
    "heldout_dev": ((0.76, 0.98), (0.87, 0.99)),  # 0.771 / 0.988, 0.881 / 1.000
    # As the service reads, 0.852 until the French model of 1 December: its classifier no longer names F1607 for
    # "Commercial(e) vente menuiserie aluminium" (a sales job, not the fitter's), and unnamed, "Architecture" is read.
    "heldout_final": ((0.80, 0.84), (0.82, 0.91)),  # 0.804 / 0.849, 0.821 / 0.920
    "heldout_blind": ((0.79, 0.94), (0.85, 0.99)),  # 0.797 / 0.948, 0.854 / 1.000
    "heldout_blind2": ((0.70, 0.92), (0.73, 0.94)),  # 0.715 / 0.930, 0.747 / 0.952
    "heldout_blind3": ((0.68, 0.94), (0.70, 0.95)),  # 0.697 / 0.953, 0.713 / 0.966
    "heldout_blind4": ((0.72, 0.98), (0.80, 0.99)),  # 0.731 / 0.989, 0.818 / 1.000
}


def test_held_out_sets_labelled_before_the_rules() -> None:
    extractor = load_extractor(REPO_ROOT / "data")
    service = as_the_service_reads(TAXONOMY, load_classifier(REPO_ROOT / "data" / "rome"))
    for name, path in HELD_OUT.items():
        rows = read_gold(path)
        for (precision, recall), reading, how in zip(
            FLOORS[name], (Reading(), service), ("l'extracteur seul", "comme le service lit"), strict=True
        ):
            results = measure(extractor, rows, reading)
            print(f"\n{name}, {how}\n" + table(results))
            assert results["toutes"].precision >= precision and results["toutes"].recall >= recall, (name, how)


def test_the_service_reads_rome_skills_with_the_occupation_it_infers() -> None:
    """What pages show and the ranker compares: no ESCO label, no work context, told the offer's likely occupation."""
    service = as_the_service_reads(TAXONOMY, load_classifier(REPO_ROOT / "data" / "rome"))
    rows = read_gold()
    extractor = load_extractor(REPO_ROOT / "data")
    results = measure(extractor, rows, service)
    print("\nComme le service lit (compétences ROME, métier déduit) :\n" + table(results))
    assert results["toutes"].precision >= 0.91 and results["toutes"].recall >= 0.61  # 0.923 / 0.622


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
