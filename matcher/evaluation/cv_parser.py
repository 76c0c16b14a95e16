"""Field-level precision and recall of the CV reader, by field and by file format.

Two sets: the generated corpus (:mod:`matcher.evaluation.cv_corpus`, labels from the generator:
there is no public French CV corpus) and a handful of CVs written by hand (``tests/data/cv``, with
the labels their writer gave in ``labels.json``). Set fields (skills, languages, licences) are
scored micro-averaged; the occupation as whether the label is among the three drafted; the
experience years as the share of labelled jobs read, in order, within ±1 year.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from matcher.cv.draft import CvReader, Draft
from matcher.cv.extract import read_trusted
from matcher.demo.profiles import REFERENCE_DATE
from matcher.evaluation.cv_corpus import CorpusGenerator

TARGETS = {
    "occupation_top3": 0.85,
    "skills_precision": 0.85,
    "licences_precision": 0.95,
    "licences_recall": 0.95,
    "languages_precision": 0.95,
    "languages_recall": 0.95,
    "experience_years_within_1": 0.80,
}
SET_FIELDS = ("skills", "languages", "licences")


@dataclass
class Labels:
    """What a CV says, as its writer (or the generator) knows it."""

    rome: str
    skills: set[str]
    languages: set[str]
    licences: set[str]
    years: list[float]
    education: str | None
    commune: str | None
    available_from: date | None


@dataclass
class Tally:
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, name: str, hit: int, count: int) -> None:
        self.hits[name] += hit
        self.counts[name] += count

    def rate(self, name: str) -> float | None:
        return self.hits[name] / self.counts[name] if self.counts[name] else None


def score(draft: Draft, labels: Labels, tally: Tally) -> None:
    """Add one CV's outcomes to ``tally``."""
    tally.add("occupation_top3", int(labels.rome in [o.code for o in draft.occupations[:3]]), 1)
    tally.add("occupation_top1", int(bool(draft.occupations) and draft.occupations[0].code == labels.rome), 1)
    predicted = {
        "skills": {s.code for s in draft.skills},
        "languages": {x.value for x in draft.languages},
        "licences": {x.value for x in draft.driving_licences},
    }
    truth = {"skills": labels.skills, "languages": labels.languages, "licences": labels.licences}
    for name in SET_FIELDS:
        right = len(predicted[name] & truth[name])
        tally.add(f"{name}_precision", right, len(predicted[name]))
        tally.add(f"{name}_recall", right, len(truth[name]))
    for position, years in enumerate(labels.years):
        read = draft.experiences[position].years if position < len(draft.experiences) else None
        tally.add("experience_years_within_1", int(read is not None and abs(read - years) <= 1), 1)
    tally.add("experiences_count", int(len(draft.experiences) == len(labels.years)), 1)
    if labels.education:
        value = draft.education_level.value.value if draft.education_level else None
        tally.add("education_level", int(value == labels.education), 1)
    if labels.commune:
        tally.add("commune", int(draft.commune is not None and draft.commune.insee == labels.commune), 1)
    if labels.available_from:
        read_date = draft.available_from.value if draft.available_from else None
        tally.add("available_from", int(read_date == labels.available_from), 1)


@dataclass
class Report:
    name: str
    documents: dict[str, int]
    by_format: dict[str, Tally]

    def rate(self, metric: str, fmt: str = "all") -> float | None:
        return self.by_format[fmt].rate(metric)

    def failures(self) -> list[str]:
        """The targets missed on all formats together."""
        return [
            f"{metric} {self.rate(metric) or 0:.3f} < {target}"
            for metric, target in TARGETS.items()
            if self.rate(metric) is not None and (self.rate(metric) or 0) < target
        ]

    def lines(self) -> list[str]:
        formats = ["all", *sorted(f for f in self.by_format if f != "all")]
        metrics = sorted({m for t in self.by_format.values() for m in t.counts})
        head = f"{'champ':32}" + "".join(f"{f'{f} ({self.documents[f]})':>14}" for f in formats) + "   cible"
        out = [self.name, head]
        for metric in metrics:
            cells = ""
            for fmt in formats:
                value = self.by_format[fmt].rate(metric)
                cells += f"{'—' if value is None else f'{value:.3f}':>14}"
            target = TARGETS.get(metric)
            out.append(f"{metric:32}{cells}   {'' if target is None else f'≥ {target}'}")
        return out


def evaluate(name: str, cases: Iterable[tuple[str, bytes, Labels]], reader: CvReader, *, today: date) -> Report:
    by_format: dict[str, Tally] = defaultdict(Tally)
    documents: dict[str, int] = defaultdict(int)
    for filename, content, labels in cases:
        fmt, text = read_trusted(content, filename)
        draft = reader.read(text, fmt=fmt.value, today=today)
        for key in ("all", fmt.value):
            score(draft, labels, by_format[key])
            documents[key] += 1
    return Report(name, dict(documents), dict(by_format))


def generated_cases(generator: CorpusGenerator, count: int) -> Iterable[tuple[str, bytes, Labels]]:
    for cv in generator.cvs(count):
        generator.render(cv)
        labels = Labels(
            rome=cv.rome,
            skills=set(cv.profile.skills),
            languages=set(cv.profile.languages),
            licences=set(cv.profile.driving_licences),
            years=[job.years for job in cv.jobs],
            education=cv.profile.education_level.value if cv.profile.education_level else None,
            commune=cv.commune,
            available_from=cv.profile.available_from,
        )
        yield f"cv-{cv.number:03d}.{cv.fmt}", cv.content, labels


def handwritten_cases(folder: Path) -> Iterable[tuple[str, bytes, Labels]]:
    """The hand-written CVs of ``folder`` and the labels in its ``labels.json``."""
    entries: dict[str, dict[str, Any]] = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    for filename, entry in sorted(entries.items()):
        available = entry.get("available_from")
        yield (
            filename,
            (folder / filename).read_bytes(),
            Labels(
                rome=entry["rome"],
                skills=set(entry.get("skills", [])),
                languages=set(entry.get("languages", [])),
                licences=set(entry.get("licences", [])),
                years=[float(y) for y in entry.get("years", [])],
                education=entry.get("education"),
                commune=entry.get("commune"),
                available_from=date.fromisoformat(available) if available else None,
            ),
        )


HANDWRITTEN_TODAY = date(2026, 11, 1)  # "aujourd'hui" in the hand-written CVs
GENERATED_TODAY = REFERENCE_DATE
