import random
import sys
from concurrent.futures import ThreadPoolExecutor

from indices.analysis import _stem, analyze, fold, masculine


def test_folds_accents() -> None:
    assert fold("Équipe d'été à Besançon") == "Equipe d'ete a Besancon"


def test_elision_stop_words_and_stemming() -> None:
    assert analyze("L'agent d'accueil et les agents") == analyze("agent accueil agent")
    assert analyze("comptabilité") == analyze("Comptabilite")
    assert "le" not in analyze("le la les")


def test_plural_and_feminine_forms_meet() -> None:
    assert analyze("jardiniers")[0] == analyze("jardinier")[0]


def test_feminine_job_titles_become_masculine_terms_and_text() -> None:
    for masculine_form, feminine_form in [
        ("Jardinier", "Jardinière"),
        ("vendeurs", "vendeuses"),
        ("Directeur adjoint", "Directrice adjointe"),
        ("Chef de projet", "Cheffe de projet"),
        ("technicien territorial", "technicienne territoriale"),
    ]:
        assert analyze(masculine_form) == analyze(feminine_form)
        assert masculine(feminine_form) == masculine_form
    # Words that are not feminine job-title forms stay as they are.
    assert masculine("Conseillère en vente, analyse de données") == "Conseiller en vente, analyse de données"


def test_inclusive_spellings_read_as_the_masculine_terms_and_text() -> None:
    for masculine_form, inclusive_form in [
        ("Agent d'entretien", "Agent·e d'entretien"),
        ("Agent d'entretien", "Agent.e.s d'entretien"),
        ("Jardinier", "Jardinier·ère"),
        ("Jardinier", "Jardinier(ère)"),
        ("Jardinier", "Jardinier-ère"),
        ("Jardinier", "Jardinier / Jardinière"),
        ("Jardinier", "Jardinière/Jardinier"),
        ("Animateur", "Animateur·rice"),
        ("Directeur adjoint", "Directeur/trice adjoint·e"),
        ("Technicien", "Technicien(ne)"),
    ]:
        assert analyze(inclusive_form) == analyze(masculine_form), inclusive_form
        assert masculine(inclusive_form) == masculine_form
    # Hyphenated names and other slashes are left alone.
    assert masculine("Saint-Hilaire-le-Grand, entrée/sortie") == "Saint-Hilaire-le-Grand, entrée/sortie"


def test_threads_analyse_at_once_as_one_alone() -> None:
    """The API analyses texts in several threads at once: each word stems as it would alone (no IndexError)."""
    rng = random.Random(19)
    texts = [
        " ".join(
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyzéèàç") for _ in range(rng.randint(5, 14)))
            for _ in range(3_000)
        )
        for _ in range(6)
    ]
    _stem.cache_clear()  # every word unseen: each one reaches a stemmer
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns every few bytecodes
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            together = list(pool.map(analyze, texts))
    finally:
        sys.setswitchinterval(interval)
    _stem.cache_clear()
    assert together == [analyze(text) for text in texts]
