from indices.analysis import analyze, fold


def test_folds_accents() -> None:
    assert fold("Équipe d'été à Besançon") == "Equipe d'ete a Besancon"


def test_elision_stop_words_and_stemming() -> None:
    assert analyze("L'agent d'accueil et les agents") == analyze("agent accueil agent")
    assert analyze("comptabilité") == analyze("Comptabilite")
    assert "le" not in analyze("le la les")


def test_plural_and_feminine_forms_meet() -> None:
    assert analyze("jardiniers")[0] == analyze("jardinier")[0]
