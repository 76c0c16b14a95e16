"""The CV parser measured: generated PDF and DOCX CVs (labels from the generator) and hand-written ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matcher.core.settings import get_settings
from matcher.cv.draft import CvReader
from matcher.cv.extract import read_trusted
from matcher.evaluation.cv_corpus import CorpusGenerator
from matcher.evaluation.cv_parser import (
    GENERATED_TODAY,
    HANDWRITTEN_TODAY,
    TARGETS,
    evaluate,
    generated_cases,
    handwritten_cases,
)
from matcher.runtime import load_classifier, load_extractor, load_geography, load_taxonomy

HANDWRITTEN = Path(__file__).resolve().parents[2] / "data" / "cv"


@pytest.fixture(scope="module")
def reader() -> CvReader:
    folder = get_settings().reference_dir
    return CvReader(
        taxonomy=load_taxonomy(folder / "rome"),
        geography=load_geography(folder / "geo"),
        extractor=load_extractor(folder),
        inferer=load_classifier(folder / "rome"),
    )


def test_the_corpus_is_real_files_in_several_layouts_and_date_styles(reader: CvReader) -> None:
    generator = CorpusGenerator(reader.taxonomy, reader.geography)
    cvs = [generator.render(generator.cv(n)) for n in range(12)]
    assert {(cv.fmt, cv.layout) for cv in cvs} == {
        ("pdf", "classique"),
        ("pdf", "deux-colonnes"),
        ("pdf", "tableau"),
        ("docx", "classique"),
        ("docx", "en-tete"),
        ("docx", "tableau"),
    }
    for cv in cvs:
        fmt, text = read_trusted(cv.content, f"cv.{cv.fmt}")
        assert fmt.value == cv.fmt and cv.name in text
    dates = " ".join(job.dates for cv in (generator.cv(n) for n in range(60)) for job in cv.jobs)
    for written in (r"\b\d{4} - \d{4}\b", r"aujourd'hui", r"\bdepuis [a-zé]+ \d{4}", r"\d{2}/\d{4} à \d{2}/\d{4}"):
        assert re.search(written, dates), written


def test_targets_hold_on_a_generated_sample(reader: CvReader) -> None:
    generator = CorpusGenerator(reader.taxonomy, reader.geography, seed=3)
    report = evaluate("échantillon", generated_cases(generator, 30), reader, today=GENERATED_TODAY)
    assert report.documents == {"all": 30, "pdf": 15, "docx": 15}
    assert not report.failures(), report.lines()
    assert set(TARGETS) <= set(report.by_format["all"].counts)


def test_hand_written_cvs_as_a_second_check(reader: CvReader) -> None:
    report = evaluate("à la main", handwritten_cases(HANDWRITTEN), reader, today=HANDWRITTEN_TODAY)
    assert report.documents["all"] >= 5 and {"txt", "docx", "odt"} <= set(report.documents)
    for metric in ("occupation_top3", "licences_recall", "languages_recall", "experience_years_within_1"):
        assert (report.rate(metric) or 0) >= TARGETS[metric], report.lines()
    assert (report.rate("skills_precision") or 0) >= TARGETS["skills_precision"], report.lines()
