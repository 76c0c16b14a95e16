"""The off-domain folders: the ranker's ESCO-labelled training titles never come from what an off-domain check asks;
the built-in set's profiles written as CVs keep its labels and lose every field a CV does not have."""

from __future__ import annotations

from pathlib import Path

from matcher.core.models import CandidateIn
from matcher.evaluation.benchmark import build_builtin, by_trade, load_benchmark
from matcher.evaluation.harness import grouped_training_set
from matcher.evaluation.offdomain import ESCO_FR, as_cvs
from matcher.evaluation.training import ESCO_TRAINING, text_training
from matcher.ranking.features import FEATURES
from matcher.runtime import Runtime

TINY = Path(__file__).parents[2] / "data" / "tiny_beir"


def test_the_ranker_never_trains_on_an_occupation_the_french_check_asks_about() -> None:
    training, check = load_benchmark(ESCO_TRAINING), load_benchmark(ESCO_FR)
    assert set(training.qrels) == {"train"} and set(check.qrels) == {"test"}
    assert len(training.queries) == len(check.queries) == 120
    # Every profile graded for a query of the check (its occupation or one of its ISCO group) is written from
    # titles that no training profile uses, and no training offer has a title the check asks about.
    graded = {check.corpus[doc]["title"] for grades in check.qrels["test"].values() for doc in grades}
    assert len(graded) > 200
    # ESCO gives this one title to two occupations of different ISCO groups.
    assert graded & {doc["title"] for doc in training.corpus.values()} <= {"monteur-vendeur opticien"}
    assert not {q["title"] for q in check.queries.values()} & {q["title"] for q in training.queries.values()}


def test_french_folders_name_no_offer_title_among_the_profiles_written_for_it() -> None:
    """A profile names other titles of its occupation, never the offer's own (else BM25 would find it verbatim)."""
    for folder in (ESCO_FR, ESCO_TRAINING):
        benchmark = load_benchmark(folder)
        for split in benchmark.qrels.values():
            for query_id, grades in split.items():
                title = benchmark.queries[query_id]["title"].lower()
                for doc in (benchmark.corpus[d] for d, grade in grades.items() if grade == 2):
                    named = (doc["title"].lower(), doc["text"].lower().split("auparavant : ")[1].rstrip("."))
                    assert title not in named, (folder.name, query_id)


def test_profiles_written_as_cvs_keep_the_labels_and_read_as_a_cv(rt: Runtime, tmp_path: Path) -> None:
    builtin = load_benchmark(build_builtin(rt, tmp_path / "builtin", candidates=40))
    cvs = as_cvs(rt, builtin)
    stripped = by_trade(builtin, rt.taxonomy)
    assert cvs.qrels == stripped.qrels and cvs.queries == stripped.queries and set(cvs.corpus) == set(builtin.corpus)
    for doc_id, doc in cvs.corpus.items():
        assert set(doc) == {"_id", "title", "text"} and doc["title"] == ""  # no title field, no structured field
        profile = CandidateIn.model_validate(builtin.corpus[doc_id]["metadata"]["candidate"])
        lines = doc["text"].splitlines()
        name, headline = lines[0], lines[1]
        assert len(name.split()) >= 2 and headline.removeprefix("Poste recherché : ") == profile.title
        assert "@" in doc["text"] and lines[2][:1].isdigit()  # an e-mail address, a street address
        for experience in profile.experiences:
            assert experience.title in doc["text"]
    assert as_cvs(rt, builtin).corpus == cvs.corpus  # the same CVs every time


def test_the_ranker_also_trains_on_the_train_split_read_as_text_alone(rt: Runtime, tmp_path: Path) -> None:
    """Rows where every occupation is a guess on both sides, graded by trade; never the test split's offers, and
    none for an external folder that has no codes to grade by."""
    builtin = load_benchmark(build_builtin(rt, tmp_path / "builtin", candidates=40))
    ((text, prepared),) = text_training(rt, builtin)
    assert set(text.qrels) == {"train"} and text.qrels == by_trade(builtin, rt.taxonomy, split="train").qrels
    assert all(builtin.queries[q]["metadata"]["split"] == "train" for q in text.qrels["train"])
    assert all(set(doc) <= {"_id", "title", "text"} for doc in text.corpus.values())
    assert all(view.occupation_source != "offre" for view in prepared.offers.values())  # read from the text
    X, y, _ = grouped_training_set(rt, text, prepared)
    assert len(y) > 0 and set(y) <= {0.0, 1.0, 2.0} and X.shape[1] == len(FEATURES)
    assert text_training(rt, load_benchmark(TINY)) == []
