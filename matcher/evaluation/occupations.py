"""Occupation inference measured: fitting the classifier's weights, evaluating it beside a baseline.

Training rows are the shipped offers that carry a ROME code and belong to the built-in benchmark's
*train* split (never its test split, whose offers the ranking is judged on). The fitted manifest
keeps a fingerprint of every training row, so an evaluation leaves out any row the model was
fitted on and says how many. The baseline is the one a reviewer would write in ten lines: tf-idf
character n-grams of the offer title, nearest ROME job title, its code.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.feature_extraction.text import TfidfVectorizer

from indices.analysis import fold
from matcher.demo.samples import shipped_offers
from matcher.evaluation.benchmark import domain_fold, domain_split
from matcher.evaluation.noise import disagrees
from matcher.reference.classifier import (
    SIGNALS,
    TITLE_MODEL,
    OccupationClassifier,
    OccupationManifest,
    TitleSignals,
    clean_title,
    leading_title,
    manifest_version,
    says_enough,
    softmax,
)
from matcher.reference.taxonomy import Taxonomy

L2 = 0.001  # per training row
# Abstain when the best guess is less likely than this: below it, training offers were mostly wrong.
TARGET_PRECISION = 0.5
AGREEING = "sans codes discordants"  # group suffix: rows whose code and title do not disagree
# Column names read as ours, once folded ("Intitulé" -> "intitule", "Code ROME" -> "code_rome"): France Travail's API
# ("intitule", "romeCode"), and what a person exporting a spreadsheet would write.
ALIASES = {
    "intitule": "title",
    "intitule_du_poste": "title",
    "intitule_poste": "title",
    "titre": "title",
    "libelle": "title",
    "job_title": "title",
    "descriptif": "description",
    "texte": "description",
    "text": "description",
    "romecode": "rome_code",
    "rome": "rome_code",
    "code_rome": "rome_code",
    "rome_code_v4": "rome_code",
    "offer_id": "id",
    "identifiant": "id",
    "reference": "id",
}
_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class CodedText:
    title: str
    description: str = ""
    rome_code: str | None = None
    source: str = "fichier"
    id: str | None = None  # the file's own identifier of the row, written back beside its codes


def fingerprint(row: CodedText) -> str:
    """Hash of a row's cleaned title and code: how a manifest remembers its training rows without their text."""
    return hashlib.sha256(f"{clean_title(row.title)}|{row.rome_code}".encode()).hexdigest()[:16]


def _column(name: object) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", fold(str(name).strip().lower())).strip("_")
    return ALIASES.get(key, key)


def _records(text: str) -> Iterable[Any]:
    """The records of a JSON array, of an object holding one (France Travail's ``{"resultats": [...]}``), of JSON lines
    or of a CSV whose delimiter is the one its header line uses most (comma, semicolon, tab or pipe)."""
    start = text.lstrip()[:1]
    if start == "[":
        return list(json.loads(text))
    if start == "{":
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:  # one object per line
            lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
            records = []
            for n, line in lines:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"ligne {n} : JSON illisible ({exc.msg})") from None
            return records
        held = [v for v in whole.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        return held[0] if held and "title" not in {_column(k) for k in whole} else [whole]
    header = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=header.count) if any(d in header for d in _DELIMITERS) else ","
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)


def read_texts(path: Path) -> list[CodedText]:
    """Rows of a JSON lines, JSON or CSV file (comma, semicolon, tab or pipe) with ``title`` [, ``description``,
    ``rome_code``, ``source``, ``id``], one per record, in the file's order; other names of those columns are
    understood (:data:`ALIASES`: France Travail's API ``intitule`` and ``romeCode``, "Intitulé", "Code ROME"…).
    Raises ``ValueError`` (in French) on a file it cannot read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("le fichier n'est pas en UTF-8") from None
    try:
        records = _records(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSON illisible, ligne {exc.lineno} ({exc.msg})") from None
    rows = []
    for record in records:
        if not isinstance(record, dict):
            raise ValueError("chaque enregistrement doit être un objet JSON (title, description, rome_code)")
        named = {_column(k): v for k, v in record.items() if k}
        description = str(named.get("description") or "")
        code = str(named.get("rome_code") or "").strip().upper()
        rows.append(
            CodedText(
                # Every record is kept, so that each gets its line of answers: one without a title is read by the
                # words its text opens with, one with neither says nothing.
                title=str(named.get("title") or "").strip() or leading_title(description),
                description=description,
                rome_code=code or None,
                source=str(named.get("source") or path.stem),
                id=str(named["id"]) if named.get("id") not in (None, "") else None,
            )
        )
    return rows


def shipped_coded(reference_dir: Path, split: str | None = None) -> list[CodedText]:
    """The shipped offers that carry a ROME code (``split``: only the benchmark's train or test split)."""
    return [
        CodedText(raw["title"], raw["description"], raw["rome_code"], raw["source"])
        for raw in shipped_offers(reference_dir)
        if raw["rome_code"] and (split is None or domain_split(raw["rome_code"]) == split)
    ]


def _conditional_logit(values: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weights maximising the (row-weighted) likelihood of the true candidate under a softmax over candidates."""
    n = float(weights.sum())

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        probabilities = softmax(values @ w)
        log_likelihood = np.log(np.maximum((probabilities * truth).sum(axis=1), 1e-300))
        gradient = -np.einsum("nk,nkd->d", (truth - probabilities) * weights[:, None], values)
        return -float(weights @ log_likelihood) + L2 * n * float(w @ w), gradient + 2 * L2 * n * w

    result = minimize(loss, np.ones(values.shape[2]), jac=True, method="L-BFGS-B")
    return np.asarray(result.x)


def _fit_weights(
    signals: TitleSignals, rows: Sequence[CodedText], descriptions: Sequence[str]
) -> tuple[np.ndarray, float, np.ndarray]:
    """Weights and abstention threshold for ``rows`` read with ``descriptions``; which rows had the truth
    among their candidates."""
    candidates, values = signals.signals([r.title for r in rows], descriptions)
    position = {code: i for i, code in enumerate(signals.codes)}
    truth = candidates == np.array([position.get(r.rome_code or "", -1) for r in rows])[:, None]
    found = truth.any(axis=1)
    # Each source weighs the same in total: one publisher's coding habits should not set the weights alone.
    sources = [r.source for r in rows]
    balance = np.array([len(rows) / (len(set(sources)) * sources.count(s)) for s in sources])
    weights = _conditional_logit(values[found], truth[found].astype(np.float64), balance[found])
    probabilities = softmax(values @ weights)
    best = probabilities.max(axis=1)
    right = truth[np.arange(len(rows)), probabilities.argmax(axis=1)]
    threshold = 0.0
    for candidate in np.sort(best):
        covered = best >= candidate
        if right[covered].mean() >= TARGET_PRECISION:
            threshold = float(candidate)
            break
    return weights, round(threshold, 4), found


def fit(
    taxonomy: Taxonomy, rows: Sequence[CodedText], *, use_description: bool = True, signals: TitleSignals | None = None
) -> OccupationManifest:
    """Fit the weights and the abstention threshold on ``rows`` (real coded offers), with their descriptions
    (when ``use_description``) and, as the title-only weights, without them."""
    signals = signals or TitleSignals(taxonomy, TITLE_MODEL)
    no_text = [""] * len(rows)
    title_weights, title_threshold, found = _fit_weights(signals, rows, no_text)
    weights, threshold = title_weights, title_threshold
    if use_description:  # on the rows whose description the model reads (the others are read as titles alone)
        described = [r for r in rows if says_enough(r.description)]
        weights, threshold, found = _fit_weights(signals, described, [r.description for r in described])
    data = hashlib.sha256("\n".join(sorted(fingerprint(r) for r in rows)).encode()).hexdigest()
    return OccupationManifest(
        version=manifest_version(
            SIGNALS, weights.tolist(), threshold, data, title_weights.tolist(), title_threshold, signals.title_model
        ),
        signals=list(SIGNALS),
        weights=[round(float(w), 8) for w in weights],
        threshold=threshold,
        use_description=use_description,
        title_weights=[round(float(w), 8) for w in title_weights],
        title_threshold=title_threshold,
        title_model=signals.title_model,
        training={
            "data": "shipped offers with a ROME code, built-in benchmark train split (data/offers/offers.jsonl.gz)",
            "rows": len(rows),
            "rows_with_truth_among_candidates": int(found.sum()),
            "data_sha256": data,
            "fingerprints": sorted(fingerprint(r) for r in rows),
            "l2_per_row": L2,
            "title_model_id": signals.title_model_id,
            "abstention": f"lowest confidence at which training top-1 precision >= {TARGET_PRECISION}",
            "title_weights": "fitted on the same rows with their descriptions left out, for a title alone",
        },
    )


class TitleBaseline:
    """tf-idf character n-grams (char_wb 2–5) of the folded title; the code of the nearest ROME job title."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        titles = list(taxonomy.job_titles.values())
        self._codes = [t.rome for t in titles]
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
        self._matrix = self._vectorizer.fit_transform([fold(t.label.lower()) for t in titles])

    def predict(self, titles: Sequence[str], *, k: int = 3) -> list[list[str]]:
        similarity = (self._vectorizer.transform([fold(t.lower()) for t in titles]) @ self._matrix.T).toarray()
        out = []
        for row in similarity:
            codes: list[str] = []
            for index in np.argsort(-row, kind="stable"):
                if self._codes[index] not in codes:
                    codes.append(self._codes[index])
                if len(codes) == k:
                    break
            out.append(codes)
        return out


@dataclass
class Figures:
    """Accuracy of one system on one group of rows."""

    rows: int
    top1: float
    top3: float
    # Top-1 right or an occupation of the code's ROME sheet: ROME 4.0 split sheets into occupations, and an offer coded
    # before a split (or by an employer who codes by sheet) carries the sheet's head where its title names a split one.
    top1_sheet: float | None = None
    coverage: float | None = None  # share of rows where the model answers (does not abstain)
    top1_answered: float | None = None  # top-1 among the rows answered
    candidate_recall: float | None = None  # share of rows whose code is among the occupations the model scores


@dataclass
class OccupationReport:
    model: str
    threshold: float
    left_out: int  # rows the model was fitted on
    groups: dict[str, dict[str, Figures]] = field(default_factory=dict)  # group -> system -> figures

    def table(self) -> str:
        lines = [
            "| source | offres | modèle top-1 | top-3 | top-1 à la fiche près | couverture | top-1 si réponse "
            "| code parmi les candidats | référence top-1 | top-3 | top-1 à la fiche près |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for group, systems in self.groups.items():
            m, b = systems["modèle"], systems["référence"]
            lines.append(
                f"| {group} | {m.rows} | {m.top1:.3f} | {m.top3:.3f} | {m.top1_sheet or 0:.3f} | "
                f"{m.coverage or 0:.3f} | {m.top1_answered or 0:.3f} | {m.candidate_recall or 0:.3f} | "
                f"{b.top1:.3f} | {b.top3:.3f} | {b.top1_sheet or 0:.3f} |"
            )
        return "\n".join(lines)


def evaluate(
    classifier: OccupationClassifier, rows: Sequence[CodedText], *, baseline: TitleBaseline | None = None
) -> OccupationReport:
    """Top-1, top-3 and coverage of the classifier and the baseline, per source and overall, then again
    without the rows whose code and title disagree (:func:`matcher.evaluation.noise.disagrees`).

    Rows without a code, and rows the model was fitted on, are left out.
    """
    seen = set(classifier.manifest.training.get("fingerprints", []))
    coded = [r for r in rows if r.rome_code]
    kept = [r for r in coded if fingerprint(r) not in seen]
    report = OccupationReport(classifier.version, classifier.manifest.threshold, left_out=len(coded) - len(kept))
    if not kept:
        return report
    baseline = baseline or TitleBaseline(classifier.taxonomy)
    codes, probabilities = classifier.probabilities([r.title for r in kept], [r.description for r in kept])
    reference = baseline.predict([r.title for r in kept])
    described = classifier.described([r.description for r in kept], len(kept))
    thresholds = [classifier.manifest.threshold_for(read) for read in described]
    groups: dict[str, list[int]] = {}
    for agreeing in (False, True):
        for n, row in enumerate(kept):
            if agreeing and disagrees(classifier.taxonomy, row.title, row.rome_code or "", codes[n]):
                continue
            for group in (row.source, "toutes"):
                groups.setdefault(group + (f" {AGREEING}" if agreeing else ""), []).append(n)
    # Sources first, then all of them: every row, then the agreeing rows.
    groups = dict(sorted(groups.items(), key=lambda g: (AGREEING in g[0], g[0].startswith("toutes"), g[0])))
    taxonomy = classifier.taxonomy

    def sheet_hits(tops: Sequence[Sequence[str]], truth: Sequence[str | None]) -> float:
        pairs = zip(tops, truth, strict=True)
        return float(np.mean([bool(top) and (top[0] == t or taxonomy.same_sheet(top[0], t)) for top, t in pairs]))

    for group, members in groups.items():
        truth = [kept[n].rome_code for n in members]
        model_top = [codes[n] for n in members]
        answered = [probabilities[n, 0] >= thresholds[n] for n in members]
        hits = [top[:1] == [t] for top, t in zip(model_top, truth, strict=True)]
        report.groups[group] = {
            "modèle": Figures(
                rows=len(members),
                top1=float(np.mean(hits)),
                top3=float(np.mean([t in top[:3] for top, t in zip(model_top, truth, strict=True)])),
                top1_sheet=sheet_hits(model_top, truth),
                coverage=float(np.mean(answered)),
                top1_answered=float(np.mean([h for h, a in zip(hits, answered, strict=True) if a]))
                if any(answered)
                else 0.0,
                candidate_recall=float(np.mean([t in top for top, t in zip(model_top, truth, strict=True)])),
            ),
            "référence": Figures(
                rows=len(members),
                top1=float(np.mean([reference[n][:1] == [t] for n, t in zip(members, truth, strict=True)])),
                top3=float(np.mean([t in reference[n][:3] for n, t in zip(members, truth, strict=True)])),
                top1_sheet=sheet_hits([reference[n] for n in members], truth),
            ),
        }
    return report


def pooled(reports: Sequence[OccupationReport], model: str) -> OccupationReport:
    """Reports on disjoint rows as one: each figure weighed by its rows (top-1 when answered, by the rows answered)."""
    merged = OccupationReport(model, threshold=0.0, left_out=sum(r.left_out for r in reports))
    names = list(dict.fromkeys(g for r in reports for g in r.groups))
    for group in names:
        merged.groups[group] = {}
        for system in ("modèle", "référence"):
            parts = [r.groups[group][system] for r in reports if group in r.groups]
            rows = sum(f.rows for f in parts)

            def mean(name: str, parts: list[Figures] = parts, rows: int = rows) -> float | None:
                values = [(getattr(f, name), f.rows) for f in parts]
                if any(v is None for v, _ in values):
                    return None
                return sum(v * n for v, n in values) / rows

            answered = [(f.top1_answered, f.rows * (f.coverage or 0.0)) for f in parts]
            weight = sum(n for _, n in answered)
            merged.groups[group][system] = Figures(
                rows=rows,
                top1=mean("top1") or 0.0,
                top3=mean("top3") or 0.0,
                top1_sheet=mean("top1_sheet"),
                coverage=mean("coverage"),
                top1_answered=sum((v or 0.0) * n for v, n in answered) / weight if weight else None,
                candidate_recall=mean("candidate_recall"),
            )
    return merged


def cross_validate(
    taxonomy: Taxonomy,
    rows: Sequence[CodedText],
    *,
    folds: int = 5,
    use_description: bool = True,
    signals: TitleSignals | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[OccupationReport, OccupationReport]:
    """Every coded row judged by weights fitted on the other folds, folds made of whole professional domains (a row's
    model never saw an occupation of its domain): figures on all the rows instead of the test split's share. Returns
    the report with the rows' descriptions and the one from their titles alone."""
    # Each row is read in every fold (four times to fit, once judged): its signals are computed once.
    signals = (signals or TitleSignals(taxonomy, TITLE_MODEL)).remembering()
    baseline = TitleBaseline(taxonomy)
    coded = [r for r in rows if r.rome_code]
    described, titles_only = [], []
    for part in range(folds):
        held = [r for r in coded if domain_fold(r.rome_code or "", folds) == part]
        train = [r for r in coded if domain_fold(r.rome_code or "", folds) != part]
        if not held or not train:
            continue
        log(f"Pli {part + 1}/{folds} : {len(train)} offres d'entraînement, {len(held)} jugées")
        manifest = fit(taxonomy, train, use_description=use_description, signals=signals)
        classifier = OccupationClassifier(taxonomy, manifest, signals=signals)
        described.append(evaluate(classifier, held, baseline=baseline))
        titles_only.append(evaluate(classifier, [replace(r, description="") for r in held], baseline=baseline))
    name = f"validation croisée, {folds} plis par domaine professionnel"
    return pooled(described, name), pooled(titles_only, name)
