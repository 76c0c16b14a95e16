"""Learning from candidates' answers, shown on a simulation where the answers follow a hidden rule.

A small world of its own (a temporary store): real offers of the repository with a ROME code, and
profiles generated around them (their ROME occupation is the code-derived label). The offers are
split in two: the ranker learns on the first half and is measured on the other (held-out) half.

- Cold start: the ranker fitted on code-derived labels only (same occupation 2, neighbour 1), as
  ``matcher train`` does before anyone answered. It ranks the shortlists the recruiters approach.
- The loop, for real: for each training offer, a shortlist is built and kept, its places are
  approached (:func:`matcher.approach.approaches.send`) and every candidate answers through the signed
  link's use case, by the hidden rule: they accept only offers of their trade whose workplace lies
  within ``share`` of their mobility radius; otherwise they decline, for "location" or "not
  interested". Answers become graded labels (:func:`matcher.shortlists.decisions.feedback_training_set`).
- After every few answers the ranker is refitted (code-derived rows + answers, weighted as in
  ``matcher train``) and its acceptance@10 measured on the held-out offers: the share of its top 10
  who would accept. The same pairs, the same rule, one run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from indices.geo import haversine_km
from matcher.access.accounts import Principal, Role
from matcher.approach import approaches
from matcher.approach.approaches import AnswerIn, ApproachIn
from matcher.catalog.candidates import create_candidate
from matcher.catalog.employers import create_employer
from matcher.catalog.offers import create_offer
from matcher.core.models import EmployerIn, EmployerKind, Offer, Visibility
from matcher.demo.profiles import Demand, ProfileGenerator
from matcher.demo.samples import offer_input, shipped_offers
from matcher.evaluation.harness import EVALUATION_DAY
from matcher.evaluation.training import FEEDBACK_WEIGHT
from matcher.indexing.outbox import process_outbox
from matcher.ranking.features import FEATURES, facts_of
from matcher.ranking.pipeline import candidate_pairs
from matcher.ranking.ranker import AdditiveRanker
from matcher.ranking.scorer import LearnedScorer
from matcher.shortlists import kept
from matcher.shortlists.decisions import feedback_training_set

if TYPE_CHECKING:
    from matcher.runtime import Runtime

PHONE = "06 00 00 00 00"


@dataclass(frozen=True)
class Point:
    answers: int
    accepted: int
    acceptance_at_10: float


@dataclass
class Simulation:
    rule: str
    train_offers: int
    held_out_offers: int
    candidates: int
    cold_start: float  # acceptance@10 of the cold-start ranker on the held-out offers
    points: list[Point] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def final(self) -> float:
        return self.points[-1].acceptance_at_10 if self.points else self.cold_start

    def table(self) -> str:
        rows = ["| réponses | dont acceptations | acceptation@10 (offres tenues à l'écart) |", "|---:|---:|---:|"]
        rows.append(f"| 0 (démarrage à froid) | 0 | {self.cold_start:.3f} |")
        rows += [f"| {p.answers} | {p.accepted} | {p.acceptance_at_10:.3f} |" for p in self.points]
        return "\n".join(rows)


@dataclass
class _Pairs:
    """An offer's retrieved pairs, once: features, code-derived grades, and the hidden rule's answer."""

    offer: Offer
    candidate_ids: list[str]
    X: np.ndarray
    grades: np.ndarray
    accepts: np.ndarray


class HiddenRule:
    """A candidate accepts an offer of their trade (same or neighbouring ROME) within ``share`` of their radius."""

    def __init__(self, rt: Runtime, *, share: float, trades: dict[str, str], areas: dict[str, tuple[list[str], float]]):
        self.rt, self.share, self.trades, self.areas = rt, share, trades, areas

    def describe(self) -> str:
        return (
            "accepte seulement une offre de son métier (même code ROME ou métier de mobilité) dont le lieu de travail "
            f"est à moins de {100 * self.share:.0f} % de son rayon de mobilité"
        )

    def distance_km(self, offer: Offer, candidate_id: str) -> float | None:
        place = self.rt.geography.get(offer.commune_insee)
        communes = [c for c in (self.rt.geography.get(i) for i in self.areas[candidate_id][0]) if c]
        if place is None or not communes:
            return None
        return float(np.min(haversine_km(place.lat, place.lon, [c.lat for c in communes], [c.lon for c in communes])))

    def in_trade(self, offer: Offer, candidate_id: str) -> bool:
        trade = self.trades.get(candidate_id)
        return bool(
            offer.rome_code
            and trade
            and (trade == offer.rome_code or trade in self.rt.taxonomy.neighbours(offer.rome_code))
        )

    def answer(self, offer: Offer, candidate_id: str) -> AnswerIn:
        if not self.in_trade(offer, candidate_id):
            return AnswerIn(answer="decline", reason="not_interested")  # type: ignore[arg-type]
        distance = self.distance_km(offer, candidate_id)
        if distance is None or distance > self.share * self.areas[candidate_id][1]:
            return AnswerIn(answer="decline", reason="location")  # type: ignore[arg-type]
        return AnswerIn(answer="accept", share_phone=True, phone=PHONE)


def _grade(rt: Runtime, offer: Offer, trade: str | None) -> int:
    if not trade or not offer.rome_code:
        return 0
    if trade == offer.rome_code:
        return 2
    return 1 if trade in rt.taxonomy.neighbours(offer.rome_code) else 0


def _world(rt: Runtime, *, offers: int, candidates: int, seed: int) -> tuple[str, list[Offer], dict[str, str], dict]:
    """Seed the simulation's store: one employer, ``offers`` real offers, generated candidates around them."""
    rng = np.random.default_rng(seed)
    raw = [o for o in shipped_offers(rt.settings.reference_dir) if o["rome_code"]]
    picked = [raw[i] for i in sorted(rng.choice(len(raw), size=min(offers, len(raw)), replace=False))]
    demand = Demand(
        occupations=[o["rome_code"] for o in picked], workplaces=[o["commune_insee"] for o in picked], share=0.9
    )
    generator = ProfileGenerator(rt.taxonomy, rt.geography, seed=seed, demand=demand)
    trades: dict[str, str] = {}
    areas: dict[str, tuple[list[str], float]] = {}
    with rt.store.transaction() as session:
        employer = create_employer(session, data=EmployerIn(name="Employeur simulé", kind=EmployerKind.COMMUNE)).id
        created = [
            create_offer(
                session,
                data=offer_input(o).model_copy(
                    update={"employer_id": employer, "source": "direct", "external_ref": None}
                ),
                taxonomy=rt.taxonomy,
                geography=rt.geography,
            )
            for o in picked
        ]
        for profile, rome in generator.profiles(candidates):
            profile = profile.model_copy(update={"visibility": Visibility.EMPLOYERS})  # all of them may be approached
            candidate = create_candidate(session, data=profile, taxonomy=rt.taxonomy, geography=rt.geography)
            trades[candidate.id] = rome
            areas[candidate.id] = (list(profile.mobility.communes), profile.mobility.radius_km)
    process_outbox(rt)
    return employer, created, trades, areas


def _pairs(rt: Runtime, offer: Offer, rule: HiddenRule) -> _Pairs:
    pairs, _ = candidate_pairs(rt, offer=offer)
    facts = facts_of(pairs, taxonomy=rt.taxonomy, today=EVALUATION_DAY)
    ids = [p[1].id for p in pairs]
    return _Pairs(
        offer=offer,
        candidate_ids=ids,
        X=np.asarray([[f.values[n] for n in FEATURES] for f in facts], dtype=np.float64).reshape(-1, len(FEATURES)),
        grades=np.asarray([_grade(rt, offer, rule.trades.get(i)) for i in ids], dtype=np.float64),
        accepts=np.asarray([rule.answer(offer, i).answer == "accept" for i in ids], dtype=bool),
    )


def acceptance_at(ranker: AdditiveRanker, held_out: Sequence[_Pairs], k: int = 10) -> float:
    """Mean share of each held-out offer's top ``k`` (by the ranker) who would accept."""
    shares = []
    for p in held_out:
        if len(p.candidate_ids) == 0:
            continue
        top = np.argsort(-ranker.predict(p.X), kind="stable")[:k]
        shares.append(float(p.accepts[top].mean()))
    return float(np.mean(shares)) if shares else 0.0


def _fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray) -> AdditiveRanker:
    return AdditiveRanker(n_segments=4, alpha=1.0).fit(X, y, sample_weight=weights)


def simulate(
    rt: Runtime,
    *,
    offers: int = 60,
    candidates: int = 1200,
    steps: Sequence[int] = (20, 50, 100, 200),
    share: float = 0.4,
    seed: int = 7,
) -> Simulation:
    """Run the simulation in ``rt`` (a runtime on an empty, temporary store: it is filled and approached)."""
    started = time.perf_counter()
    rt.settings.approach_daily_quota = 10**9  # one simulated recruiter sends them all
    employer, created, trades, areas = _world(rt, offers=offers, candidates=candidates, seed=seed)
    rule = HiddenRule(rt, share=share, trades=trades, areas=areas)
    order = np.random.default_rng(seed).permutation(len(created))
    train = [created[i] for i in order[: len(created) // 2]]
    held_out = [_pairs(rt, created[i], rule) for i in order[len(created) // 2 :]]
    base = [_pairs(rt, o, rule) for o in train]
    X_base = np.vstack([p.X for p in base])
    y_base = np.concatenate([p.grades for p in base])
    cold = _fit(X_base, y_base, np.ones(len(y_base)))
    rt.__dict__["scorer"] = LearnedScorer(cold, FEATURES, "simulation-cold-start")  # ranks the kept shortlists
    result = Simulation(
        rule=rule.describe(),
        train_offers=len(train),
        held_out_offers=len(held_out),
        candidates=candidates,
        cold_start=acceptance_at(cold, held_out),
    )
    recruiter = Principal(role=Role.RECRUITER, subject="simulation", employer_ids=frozenset({employer}))
    answered = accepted = 0
    goals = sorted(set(steps))
    for offer in train:
        if not goals:
            break
        kept.build(rt, principal=recruiter, offer_id=offer.id)
        page = kept.read(rt, principal=recruiter, offer_id=offer.id, shortlist_id="latest", limit=10, offset=0)
        ids = [p.candidate_id for p in page.places][: goals[-1] - answered]
        if not ids:
            continue
        for approach in approaches.send(rt, principal=recruiter, offer_id=offer.id, data=ApproachIn(candidate_ids=ids)):
            answer = rule.answer(offer, approach.candidate_id)
            approaches.answer_by_link(rt, approach_id=approach.id, data=answer)
            answered += 1
            accepted += answer.answer == "accept"
        while goals and answered >= goals[0]:
            X_fb, y_fb = feedback_training_set(rt)
            X = np.vstack([X_base, X_fb])
            y = np.concatenate([y_base, y_fb])
            weights = np.concatenate([np.ones(len(y_base)), np.full(len(y_fb), FEEDBACK_WEIGHT)])
            retrained = _fit(X, y, weights)
            result.points.append(
                Point(answers=answered, accepted=accepted, acceptance_at_10=acceptance_at(retrained, held_out))
            )
            goals.pop(0)
    result.seconds = time.perf_counter() - started
    return result


def plot(simulation: Simulation, path: str | None = None) -> object:
    """The curve: acceptance@10 on the held-out offers against the number of answers learned from."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 3.5))
    xs = [0] + [p.answers for p in simulation.points]
    ys = [simulation.cold_start] + [p.acceptance_at_10 for p in simulation.points]
    axis.plot(xs, ys, marker="o", label="réentraîné sur les réponses")
    axis.axhline(simulation.cold_start, linestyle="--", color="grey", label="démarrage à froid")
    axis.set_xlabel("réponses de candidats apprises")
    axis.set_ylabel("acceptation@10 (offres tenues à l'écart)")
    axis.set_ylim(0, 1)
    axis.legend()
    figure.tight_layout()
    if path:
        figure.savefig(path, dpi=100)
    return figure
