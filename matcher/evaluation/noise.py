"""Label noise in the built-in benchmark: offers whose ROME code and title disagree.

Built-in labels come from each offer's ROME code, as its publisher chose it; some codes are far
from the title ("Chercheur dissuasion nucléaire" coded M1205, "Archiviste" coded M1223). An offer
is set apart as *disagreeing* when both hold:

1. its code is not among the occupation classifier's 10 best guesses for the title, and
2. the title shares no analysed word (stemmed, accents and stop words removed) with the code's
   occupation label or any of its ROME job titles.

Figures are then reported on every query and on the queries without those offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from indices.analysis import analyze
from matcher.evaluation.benchmark import Benchmark, structured_offer
from matcher.evaluation.harness import METRICS

if TYPE_CHECKING:
    from matcher.evaluation.harness import Report
    from matcher.reference.taxonomy import Taxonomy
    from matcher.runtime import Runtime

TOP = 10


def code_words(taxonomy: Taxonomy, code: str) -> set[str]:
    """Analysed words of an occupation's label and of all its job titles."""
    occupation = taxonomy.occupation(code)
    labels = [occupation.label] if occupation else []
    labels += [t.label for t in taxonomy.titles_of(code)]
    return {word for label in labels for word in analyze(label)}


def disagrees(taxonomy: Taxonomy, title: str, code: str, guesses: Sequence[str]) -> bool:
    """Whether an offer's code and title disagree (see the module), ``guesses``: the classifier's, best first."""
    return code not in guesses[:TOP] and not set(analyze(title)) & code_words(taxonomy, code)


def disagreeing_queries(rt: Runtime, benchmark: Benchmark) -> dict[str, tuple[str, str]]:
    """Query id -> (title, code) of the queries whose ROME code and title disagree (see the module)."""
    coded = []
    for query_id, query in benchmark.queries.items():
        offer = structured_offer(query)
        if offer is not None and offer.rome_code:
            coded.append((query_id, offer.title, offer.rome_code))
    if not coded:
        return {}
    codes, _ = rt.classifier.probabilities([title for _, title, _ in coded])
    out = {}
    for (query_id, title, code), guesses in zip(coded, codes, strict=True):
        if disagrees(rt.taxonomy, title, code, guesses):
            out[query_id] = (title, code)
    return out


def metrics_without(report: Report, excluded: set[str]) -> tuple[int, dict[str, dict[str, float]]]:
    """Number of queries kept and each system's mean metrics over them."""
    out: dict[str, dict[str, float]] = {}
    kept = 0
    for system, per_query in report.per_query.items():
        values = [v for q, v in per_query.items() if q not in excluded]
        kept = len(values)
        out[system] = {m: float(np.mean([v[m] for v in values])) if values else 0.0 for m in METRICS}
    return kept, out
