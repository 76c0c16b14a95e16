"""The occupation classifier: calibrated guesses, abstention, honest evaluation beside its baseline."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.evaluation.benchmark import domain_fold
from matcher.evaluation.occupations import (
    AGREEING,
    CodedText,
    Figures,
    OccupationReport,
    cross_validate,
    evaluate,
    fingerprint,
    pooled,
    read_texts,
    shipped_coded,
)
from matcher.reference.classifier import (
    CANDIDATES,
    SIGNALS,
    TITLE_MODEL,
    OccupationClassifier,
    clean_title,
    read_titles,
    says_enough,
    title_reader,
)
from matcher.reference.files import normalize_label
from matcher.reference.taxonomy import Taxonomy

REFERENCE = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture(scope="module")
def classifier() -> OccupationClassifier:
    return OccupationClassifier.load(Taxonomy(REFERENCE / "rome"))


def test_clean_title_keeps_the_occupation_only() -> None:
    assert clean_title("Agent d'entretien (H/F) - CDI 100% à Annonay") == "agent d entretien"
    assert clean_title("Jardinier.e polyvalent F/H") == "jardinier polyvalent"
    assert clean_title("Technicien sur Privas (07)") == clean_title("Technicien secteur Aubenas") == "technicien"


@pytest.mark.parametrize(
    ("title", "cleaned"),
    [
        ("Directeur (trice) de camping H/F", "directeur de camping"),
        ("Chef (fe) de bureau", "chef de bureau"),
        ("Mécanicien (ne) polyvalent (e)", "mecanicien polyvalent"),
        ("Infirmier (ère) de bloc", "infirmier de bloc"),
        ("Conseiller.ère numérique", "conseiller numerique"),
        ("Agent(e) d'accueil", "agent d accueil"),
    ],
)
def test_a_feminine_ending_in_brackets_or_inline_is_a_gender_mark(title: str, cleaned: str) -> None:
    """Written with a space before its bracket, "(trice)" was read as a word of the title: "directeur trice"."""
    assert clean_title(title) == cleaned


def test_words_in_brackets_that_are_no_gender_mark_stay() -> None:
    assert normalize_label("Chargé de mission (urbanisme)") == "charge de mission urbanisme"
    assert normalize_label("Lons-le-Saunier") == normalize_label("Lons le Saunier")  # a place is read the same way


def test_a_shift_a_duration_or_a_public_contract_in_the_title_is_not_the_occupation(
    classifier: OccupationClassifier,
) -> None:
    """A shift once made "ASH de nuit" a night security guard: the three letters of the occupation weighed less
    than the shift, which many ROME titles name ("Veilleur de nuit", "Réceptionniste de nuit")."""
    assert clean_title("ASH de nuit (H/F)") == clean_title("ASH") == "ash"
    assert clean_title("Adjoint administratif contractuel - remplacement") == "adjoint administratif"
    assert clean_title("Cuisinier week-end et jours fériés") == "cuisinier et jours feries"
    assert clean_title("PLONGEUR - CDD 6 mois") == clean_title("Plongeur (H/F)") == "plongeur"  # a duration neither
    assert clean_title("Gestionnaire administratif (Vacation 6 mois)") == "gestionnaire administratif"
    assert classifier.infer("ASH de nuit (H/F)")[0].code == classifier.infer("ASH")[0].code == "J1301"
    assert classifier.infer("IDE de nuit")[0].code == "J1506"  # infirmier en soins généraux
    assert classifier.infer("Veilleur de nuit")[0].code == "K2503"  # where the shift is the job, the rest still says so


@pytest.mark.parametrize(
    "title",
    [
        "Aide à domicile",
        "Vendeur / Vendeuse en prêt-à-porter",
        "Afficheur sur dispositif publicitaire",
        "AIDE A DOMICILE",
    ],
)
def test_words_after_a_or_sur_that_are_no_place_stay(title: str, classifier: OccupationClassifier) -> None:
    """A place is capitalised where the title is not written in capitals; "à domicile" is part of the job."""
    assert clean_title(title) == normalize_label(title.replace("/", " / "))
    assert classifier.signals.dictionary(title) is not None  # each is a ROME job title as it stands


def test_guesses_are_ranked_probabilities(classifier: OccupationClassifier) -> None:
    guesses = classifier.infer("Jardinier / Jardinière espaces verts H/F", "Tonte, taille des haies, massifs.", k=5)
    assert guesses[0].code in {"A1203", "A1208"}  # agent des espaces verts, jardinier paysagiste
    confidences = [g.confidence for g in classifier.predict(["Jardinier espaces verts"], k=5)[0]]
    assert confidences == sorted(confidences, reverse=True)
    assert 0.5 < confidences[0] <= 1.0 and sum(confidences) <= 1.0 + 1e-9


def test_abstains_on_a_title_that_names_no_occupation(classifier: OccupationClassifier) -> None:
    assert classifier.predict(["Zorglub qwxv"])[0] == []
    assert classifier.predict(["Zorglub qwxv"], abstain=False)[0]
    assert classifier.infer("Zorglub qwxv") == []
    unsure = classifier.infer("Zorglub qwxv", k=5, abstain=False)  # for a reader that weighs each guess
    assert len(unsure) == 5 and unsure[0].score < classifier.manifest.threshold_for(False)


def test_the_dictionary_takes_the_longest_leading_job_title(classifier: OccupationClassifier) -> None:
    taxonomy = classifier.taxonomy
    assert classifier.signals.dictionary("Comptable") == "M1203"
    assert classifier.signals.dictionary("Comptable H/F - service finances de la commune") == "M1203"
    assistant = taxonomy.rome_for_title("Assistant de direction")
    assert classifier.signals.dictionary("Assistant.e de direction") == assistant
    assert classifier.signals.dictionary("xyzzy") is None


def test_evaluation_leaves_out_training_rows_and_beats_the_baseline(classifier: OccupationClassifier) -> None:
    train = shipped_coded(REFERENCE, "train")
    assert {fingerprint(r) for r in train} <= set(classifier.manifest.training["fingerprints"])
    assert evaluate(classifier, train).left_out == len(train)
    report = evaluate(classifier, shipped_coded(REFERENCE, "test"))
    assert report.left_out == 0
    overall = report.groups["toutes"]
    assert overall["modèle"].top1 > overall["référence"].top1
    assert overall["modèle"].top3 > overall["référence"].top3


def test_reads_pipe_separated_france_travail_columns_and_json_lines(tmp_path: Path) -> None:
    csv_file = tmp_path / "offres.csv"
    csv_file.write_text("id|intitule|description|romeCode\n1|Plombier H/F|Pose de sanitaires|F1603\n", encoding="utf-8")
    (row,) = read_texts(csv_file)
    assert (row.title, row.description, row.rome_code) == ("Plombier H/F", "Pose de sanitaires", "F1603")
    jsonl = tmp_path / "offres.jsonl"
    jsonl.write_text(json.dumps({"title": "Comptable"}) + "\n", encoding="utf-8")
    (row,) = read_texts(jsonl)
    assert row.title == "Comptable" and row.rome_code is None


def test_reads_the_files_a_reviewer_exports(tmp_path: Path) -> None:
    """A spreadsheet's semicolon CSV with French headers and a long description over several lines, a JSON array,
    France Travail's answer as it comes; a file it cannot read is named in French."""
    sheet = tmp_path / "offres.csv"
    description = "Vos missions : " + ", ".join(["entretien des massifs"] * 400) + "\nSur deux lignes, aussi."
    sheet.write_text(f'Intitulé;Description;Code ROME\nJardinier (H/F);"{description}";a1203\n', encoding="utf-8")
    (row,) = read_texts(sheet)
    assert (row.title, row.description, row.rome_code) == ("Jardinier (H/F)", description, "A1203")
    array = tmp_path / "offres.json"
    array.write_text(json.dumps([{"title": "Comptable", "description": None}, {"titre": "Plombier"}]), encoding="utf-8")
    assert [(r.title, r.description) for r in read_texts(array)] == [("Comptable", ""), ("Plombier", "")]
    answer = tmp_path / "france-travail.json"
    answer.write_text(json.dumps({"resultats": [{"intitule": "Maçon", "romeCode": "F1703"}]}), encoding="utf-8")
    assert [(r.title, r.rome_code) for r in read_texts(answer)] == [("Maçon", "F1703")]
    broken = tmp_path / "offres.jsonl"
    broken.write_text('{"title": "Maçon"}\n{"title": \n', encoding="utf-8")
    with pytest.raises(ValueError, match="ligne 2 : JSON illisible"):
        read_texts(broken)


def test_commands_infer_and_evaluate_a_file(tmp_path: Path) -> None:
    file = tmp_path / "offres.jsonl"
    file.write_text(
        "\n".join(
            json.dumps({"title": t, "rome_code": c})
            for t, c in [("Plombier chauffagiste H/F", "F1603"), ("Aide-soignant de nuit", "J1501")]
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["occupations", "infer", str(file)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 2 and len(lines[0]["codes"]) == 5
    assert lines[1]["codes"][0]["code"] == "J1501"
    result = CliRunner().invoke(app, ["occupations", "evaluate", str(file)])
    assert result.exit_code == 0, result.output
    assert "| toutes | 2 |" in result.output and "Attention" not in result.output
    with file.open("a", encoding="utf-8") as handle:
        handle.write('\n{"title": "Agent d\'entretien", "rome_code": "Z9999"}\n')
    result = CliRunner().invoke(app, ["occupations", "evaluate", str(file)])
    assert "| toutes | 3 |" in result.output  # counted: never silently left out
    assert "Attention : 1 lignes portent un code absent du ROME 4.0 (Z9999)" in result.output
    file.write_text('{"title": "Maçon"}\n{"title": \n', encoding="utf-8")
    result = CliRunner().invoke(app, ["occupations", "infer", str(file)])
    assert result.exit_code == 1 and "Fichier illisible" in result.output and "ligne 2" in result.output


def test_infer_answers_every_record_in_its_order_with_its_id(tmp_path: Path) -> None:
    """A reviewer lines answers up with records: none is dropped, a record without a title is read from the words its
    description opens with, one that says nothing gets no code."""
    file = tmp_path / "offres.jsonl"
    records = [
        {"id": "a1", "title": "Plombier chauffagiste H/F"},
        {"id": 7, "description": "Auxiliaire de puériculture\nLa crèche municipale recrute un agent."},
        {"id": "x", "title": "", "description": ""},
        {"title": "Aide-soignant de nuit"},
    ]
    file.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    result = CliRunner().invoke(app, ["occupations", "infer", str(file)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line.get("id") for line in lines] == ["a1", "7", "x", None]
    assert lines[1]["title"] == "Auxiliaire de puériculture" and lines[1]["codes"][0]["code"] == "J1304"
    assert lines[2]["codes"] == [] and lines[2]["abstains"] is True
    assert lines[3]["codes"][0]["code"] == "J1501"
    file.write_text(json.dumps({"poste": "Maçon"}), encoding="utf-8")  # no column it knows
    result = CliRunner().invoke(app, ["occupations", "infer", str(file)])
    assert result.exit_code == 1 and "Aucune ligne avec un intitulé ou une description" in result.output


def test_command_cross_validates_a_file_and_says_when_it_has_no_code(tmp_path: Path) -> None:
    coded = shipped_coded(REFERENCE)
    rows = [r for n in (0, 1) for r in [r for r in coded if domain_fold(r.rome_code or "", 2) == n][:2]]
    file = tmp_path / "offres.jsonl"
    file.write_text("\n".join(json.dumps(r.__dict__, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["occupations", "cross-validate", str(file), "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert "validation croisée, 2 plis" in result.output and result.output.count("| toutes | 4 |") == 2
    file.write_text(json.dumps({"title": "Comptable"}), encoding="utf-8")
    result = CliRunner().invoke(app, ["occupations", "cross-validate", str(file)])
    assert result.exit_code == 1 and "Aucune ligne avec un code ROME" in result.output


def test_a_title_reads_the_same_whatever_is_read_with_it(classifier: OccupationClassifier) -> None:
    """Its meaning is embedded alone: batched with a longer title, int8 quantisation moved it by up to 0.02 (what is
    left is float rounding, products of other shapes)."""
    long = "Responsable du service des affaires juridiques et de la commande publique"
    alone = classifier.signals.signals(["Jardinier"], [""])
    beside = classifier.signals.signals(["Jardinier", long], ["", ""])
    assert (alone[0][0] == beside[0][0]).all() and np.allclose(alone[1][0], beside[1][0], rtol=0, atol=1e-6)


def test_remembered_signals_are_the_signals_computed_once(classifier: OccupationClassifier) -> None:
    titles, texts = ["Jardinier", "Boulanger", "Jardinier"], ["", "Pétrissage et cuisson du pain chaque matin.", ""]
    remembered = classifier.signals.remembering()
    candidates, values = remembered.signals(titles, texts)
    fresh_candidates, fresh_values = classifier.signals.signals(titles, texts)
    assert (candidates == fresh_candidates).all() and np.allclose(values, fresh_values, atol=1e-5)
    assert len(remembered._kept or {}) == 2 and classifier.signals._kept is None  # the model's own keep nothing
    again, again_values = remembered.signals(titles[1:2], texts[1:2])
    assert (again[0] == candidates[1]).all() and (again_values[0] == values[1]).all()


def test_description_signal_is_relative_to_its_best_occupation(classifier: OccupationClassifier) -> None:
    column = SIGNALS.index("description")
    text = "Tonte des pelouses, taille des haies, entretien des massifs et des espaces verts de la commune."
    _, short = classifier.signals.signals(["Jardinier"], [text])
    longer = " ".join([text] * 5) + " Permis B souhaité, débutant accepté."
    _, long = classifier.signals.signals(["Jardinier"], [longer])
    _, empty = classifier.signals.signals(["Jardinier"], [""])
    assert short[0, :, column].max() == pytest.approx(1.0)
    assert long[0, :, column].max() == pytest.approx(1.0)
    assert not empty[0, :, column].any()


GARDENING = (  # 17 words that tell the job
    "Au sein du service des espaces verts de la commune, vous assurez la tonte des pelouses, la taille des haies et "
    "des arbustes, le désherbage des massifs, les plantations saisonnières et l'arrosage des jardins publics."
)


@pytest.mark.parametrize(
    "stub",
    [
        "Voir fiche de poste jointe",
        "CF FICHE DE POSTE",
        "Pour consulter le détail de l'offre, cliquez sur le bouton Plus d'informations.",
        "Campagne de mobilité en cours : candidatures réservées aux titulaires de la FP. Voir fiche de poste.",
    ],
)
def test_a_description_that_says_nothing_of_the_job_is_not_read(stub: str, classifier: OccupationClassifier) -> None:
    """A pointer to an attached job sheet would otherwise give its best occupation the description's full weight
    ("voir" for "Agent de voirie"): the title is read alone."""
    assert not says_enough(stub) and says_enough(GARDENING)
    title = "Agent chargé du suivi des prestations d'action sociale"
    assert classifier.described([stub, GARDENING], 2) == [False, True]
    (read, with_stub), (alone, without) = classifier.probabilities([title], [stub]), classifier.probabilities([title])
    assert read == alone and np.allclose(with_stub, without)


def test_general_occupations_get_a_higher_prior_than_their_specialities(classifier: OccupationClassifier) -> None:
    column = SIGNALS.index("mobility_in")
    titles = ["Comptable", "Conseiller en économie sociale et familiale"]
    candidates, values = classifier.signals.signals(titles, ["", ""])
    prior = {classifier.signals.codes[c]: values[n, j, column] for n in range(2) for j, c in enumerate(candidates[n])}
    assert prior["M1203"] > prior["M1213"]  # comptable > assistant comptable
    assert prior["K1201"] > prior["K1225"]  # assistant social > conseiller en ESF


def test_evaluation_reports_candidate_recall_and_figures_without_disagreeing_codes(
    classifier: OccupationClassifier,
) -> None:
    rows = [
        CodedText("Jardinier espaces verts", rome_code="A1203", source="essai"),
        CodedText("Comptable", rome_code="M1203", source="essai"),
        CodedText("Chercheur dissuasion nucléaire", rome_code="M1205", source="essai"),
    ]
    report = evaluate(classifier, rows)
    every, agreeing = report.groups["essai"]["modèle"], report.groups[f"essai {AGREEING}"]["modèle"]
    assert (every.rows, agreeing.rows) == (3, 2)
    assert every.candidate_recall == pytest.approx(2 / 3)
    assert agreeing.candidate_recall == 1.0
    assert f"| toutes {AGREEING} | 2 |" in report.table()


def test_evaluation_counts_a_guess_of_the_codes_rome_sheet_apart(classifier: OccupationClassifier) -> None:
    # The shipped ROME files the CESF occupation (K1225) in the "Assistant social" sheet (K1201), and France Travail
    # offers of early 2025 carry the sheet's code for that title.
    rows = [
        CodedText("Conseillère en économie sociale et familiale au centre social", rome_code="K1201", source="essai"),
        CodedText("Comptable de la régie des eaux", rome_code="M1203", source="essai"),
    ]
    assert classifier.infer(rows[0].title)[0].code == "K1225"
    figures = evaluate(classifier, rows).groups["essai"]["modèle"]
    assert (figures.rows, figures.top1, figures.top1_sheet) == (2, 0.5, 1.0)


def test_a_title_alone_is_scored_with_its_own_weights(classifier: OccupationClassifier) -> None:
    assert len(classifier.manifest.title_weights) == len(SIGNALS)
    blind = replace(classifier.manifest, title_weights=[0.0] * len(SIGNALS), title_threshold=0.0)
    model = OccupationClassifier(classifier.taxonomy, blind, signals=classifier.signals)
    _, alone = model.probabilities(["Jardinier espaces verts"], [""])
    _, described = model.probabilities(["Jardinier espaces verts"], [GARDENING])
    assert alone[0] == pytest.approx(np.full(CANDIDATES, 1 / CANDIDATES))
    assert described[0, 0] > 0.5
    assert model.predict(["Jardinier espaces verts"])[0]  # title threshold 0: answers


def test_recruiters_corrections_of_a_title_are_votes_beside_the_model(classifier: OccupationClassifier) -> None:
    """ROME has seven "Plongeur" titles under the diver (I1502), two under the restaurant dishwasher (G1605): the model
    alone reads a diver. Each corrected offer of the same title is one vote, the model's probabilities one more."""
    model = classifier.infer("Plongeur")[0]
    assert model.code == "I1502"
    corrected = classifier.with_corrections({"o1": ("Plongeur (H/F)", "G1605")})
    [first, *_] = corrected.infer("Plongeur", k=5, abstain=False)
    p_model = {g.code: g.score for g in classifier.infer("Plongeur", k=40, abstain=False)}
    assert first.code == "G1605" and first.score == pytest.approx(0.5 + 0.5 * p_model.get("G1605", 0.0), abs=1e-6)
    assert corrected.infer("Plongeur - CDD week-end")[0].code == "G1605"  # the same title once cleaned
    assert corrected.infer("Plongeur scaphandrier")[0].code == "I1502"  # another title: the model alone
    assert corrected.corrections_for("PLONGEUR h/f") == 1 and corrected.version != classifier.version

    # The same offer corrected again replaces its vote; two other offers outvote one.
    corrected.correct("o1", "Plongeur (H/F)", "I1502")
    assert corrected.corrections_for("Plongeur") == 1 and corrected.infer("Plongeur")[0].code == "I1502"
    corrected.correct("o2", "Plongeur", "G1605")
    corrected.correct("o3", "Plongeur", "G1605")
    guesses = corrected.infer("Plongeur", k=2, abstain=False)
    assert [g.code for g in guesses] == ["G1605", "I1502"] and guesses[0].score > 0.5
    corrected.correct("o4", "Plongeur", "Z9999")  # a code the taxonomy does not have is not learned
    assert corrected.corrections_for("Plongeur") == 3
    assert classifier.infer("Plongeur")[0].code == "I1502"  # the model itself learned nothing


def test_title_meaning_is_read_by_the_model_the_weights_were_fitted_with(classifier: OccupationClassifier) -> None:
    """The nearest ROME title in meaning, by the shipped French embedding model whatever model the service embeds
    profiles with: a ROME title itself is nearest its own occupation (cosine 1, to the int8 model's rounding, which
    depends on the texts read in the same batch)."""
    assert classifier.manifest.title_model == TITLE_MODEL and classifier.signals.title_model == TITLE_MODEL
    column = SIGNALS.index("title_meaning")
    candidates, values = classifier.signals.signals(["Boulanger", "Professeur des écoles"], ["", ""])
    for n, code in enumerate(["D1102", "K2106"]):
        at = list(candidates[n]).index(classifier.signals.codes.index(code))
        assert values[n, at, column] == pytest.approx(1.0, abs=0.02)
        assert values[n, at, column] == values[n, :, column].max()
        assert values[n, :, column].min() < 0.9


def test_a_manifest_without_a_signal_gives_it_no_weight(classifier: OccupationClassifier) -> None:
    """A manifest fitted before a signal existed (or without its model) still scores: that signal weighs nothing."""
    kept = [s for s in SIGNALS if s != "title_meaning"]
    weights = dict(zip(SIGNALS, classifier.manifest.weights, strict=True))
    older = replace(
        classifier.manifest, signals=kept, weights=[weights[s] for s in kept], title_weights=[], title_model=""
    )
    assert older.weights_for(True) == [weights[s] if s != "title_meaning" else 0.0 for s in SIGNALS]
    model = OccupationClassifier(classifier.taxonomy, older)
    assert not model.signals.signals(["Boulanger"], [""])[1][0, :, SIGNALS.index("title_meaning")].any()
    assert model.predict(["Boulanger"])[0][0].code == "D1102"


def test_the_titles_vectors_are_kept_for_the_next_process(tmp_path: Path) -> None:
    """Read once, kept in the cache folder under a key of the model and the titles; a damaged file is read again,
    and a folder that cannot be written only costs the reading."""
    reader = title_reader(TITLE_MODEL)
    assert reader is not None
    texts = ["boulanger", "jardinier", "comptable"]
    first = read_titles(reader, texts, tmp_path)
    (kept,) = tmp_path.glob("rome-titles-*.npy")
    assert np.load(kept) == pytest.approx(first)
    marked = np.full_like(first, 0.5)
    np.save(kept, marked)
    assert read_titles(reader, texts, tmp_path) == pytest.approx(marked)  # read from the folder, not the model
    assert read_titles(reader, [*texts, "plombier"], tmp_path).shape == (4, reader.dims)  # other titles, other key
    kept.write_bytes(b"damaged")
    again = read_titles(reader, texts, tmp_path)
    assert again == pytest.approx(first, abs=0.02) and np.load(kept) == pytest.approx(again)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert read_titles(reader, texts, blocked / "cache") == pytest.approx(first, abs=0.02)


def test_cross_validation_judges_every_coded_row_once_by_weights_that_never_saw_its_domain(
    classifier: OccupationClassifier,
) -> None:
    coded = shipped_coded(REFERENCE)
    rows = [*coded[::12], CodedText("Offre sans code")]
    domains = [{r.rome_code[:3] for r in rows if r.rome_code and domain_fold(r.rome_code, 3) == n} for n in range(3)]
    assert all(domains) and not (domains[0] & domains[1] or domains[0] & domains[2] or domains[1] & domains[2])
    logged: list[str] = []
    described, titles_only = cross_validate(
        classifier.taxonomy, rows, folds=3, signals=classifier.signals, log=logged.append
    )
    judged = sum(int(line.split(", ")[1].split()[0]) for line in logged)
    assert len(logged) == 3 and judged == len(rows) - 1
    for report in (described, titles_only):
        every = report.groups["toutes"]
        assert every["modèle"].rows == every["référence"].rows == judged and report.left_out == 0
        assert 0.0 < every["modèle"].top1 <= every["modèle"].top3 <= every["modèle"].candidate_recall <= 1.0
    assert described.groups["toutes"]["modèle"].top1 != titles_only.groups["toutes"]["modèle"].top1


def test_pooled_reports_weigh_each_figure_by_its_rows() -> None:
    def report(rows: int, top1: float, coverage: float, answered: float) -> OccupationReport:
        model = Figures(rows, top1, top1, top1, coverage, answered, 1.0)
        return OccupationReport("m", 0.0, 0, {"essai": {"modèle": model, "référence": Figures(rows, 0.5, 0.5)}})

    merged = pooled([report(10, 1.0, 0.5, 1.0), report(30, 0.0, 1.0, 0.2)], "deux plis")
    model, baseline = merged.groups["essai"]["modèle"], merged.groups["essai"]["référence"]
    assert (model.rows, model.top1, model.coverage) == (40, 0.25, pytest.approx(0.875))
    assert model.top1_answered == pytest.approx((5 * 1.0 + 30 * 0.2) / 35)
    assert (baseline.top1, baseline.top1_sheet, baseline.coverage) == (0.5, None, None)
