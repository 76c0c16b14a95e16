"""Which ROME occupation an offer is about: a calibrated classifier over the ROME job titles.

Candidates come from the 13,120 ROME job titles (long and short labels, both genders) and the
1,584 occupation labels, read as tf-idf character n-grams (``char_wb`` 2–5) and as stemmed words.
Each candidate occupation is described by a few signals (best title by characters, best title by
words, the occupation's whole vocabulary, the description against the occupation's definition and
skills relative to its best match, an exact title hit, how broad the occupation is, how many
occupations ROME lists as leading to it, and its title nearest in meaning); a conditional logit —
softmax over the candidates of a weighted sum of those signals — turns them into probabilities. Its
weights (``matcher/models/occupations.json``) are fitted on real coded offers of the benchmark's train
split only (``matcher occupations train``); the vectorisers are refitted from ``data/rome`` at
first use (a few seconds), so the shipped model is a handful of numbers.

Meaning is read by the embedding model the manifest names (``title_model``, the shipped French model),
the one its weights were fitted with, whatever model the service embeds profiles with; the ROME titles'
vectors are read once per installation (8 s on 2 cores) and kept in the cache folder for the next process.

A title alone is scored with weights of its own (``title_weights``), fitted on the same offers with
their descriptions left out: weights fitted beside a description under-rate the title's signals when
there is none (a CV title, an offer without text). A description of fewer than 15 words is not read
either (:func:`says_enough`): it is most often a pointer to an attached job sheet ("Voir fiche de poste").

The model abstains (returns nothing) when its best confidence is below the manifest's threshold (one
per weight set).

Recruiters' corrections (an offer's occupation set on its page) are learned as they come: a later text with the
same cleaned title gets each corrected code as a vote, the model's probabilities counting as one more vote
(:meth:`OccupationClassifier.correct`). ``version`` names the model and the corrections it applies.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from indices.analysis import analyze
from matcher.core.settings import FRENCH_ONNX, MODELS
from matcher.embedding.onnx import OnnxEmbedder
from matcher.reference.files import normalize_label
from matcher.reference.occupations import OccupationGuess
from matcher.reference.taxonomy import Taxonomy, gendered_forms

MODEL_PATH = MODELS / "occupations.json"
SIGNALS = (
    "char_title",
    "word_title",
    "char_profile",
    "word_profile",
    "description",
    "dictionary",
    "breadth",
    "head_word",
    "title_about",
    "mobility_in",
    "title_meaning",
)
TITLE_MODEL = FRENCH_ONNX.name  # the embedding model (a folder of matcher/models) that reads titles' meaning
TITLE_TOKENS = 32  # a job title fits whole
CANDIDATES = 40  # occupations scored per text
REFERENCE_BATCH = 64  # ROME titles per call of the embedding model
DESCRIPTION_CHARS = 1_500
# Words (stop words aside) a description needs to be read: shorter ones rarely say anything of the job ("Voir fiche de
# poste jointe", "Pour consulter le détail de l'offre, cliquez…"), and the description's signal is relative to its
# best occupation, so their few words would give some occupation its full weight ("voir" stems as "voirie" does).
MIN_DESCRIPTION_WORDS = 15
# Words of offer titles that say nothing about the occupation: contract, working time, gender marks.
_TITLE_NOISE = re.compile(
    r"\b(?:cdi|cdd|interim|alternance|apprenti(?:ssage)?|stage|temps (?:plein|partiel)|mi temps|"
    r"(?:de |d )?\d+ ?(?:mois|ans?|semaines?|jours?)|\d+h?\d*|"
    r"contractuel|titulaire|vacataire|vacations?|(?:en )?remplacement|"
    r"(?:de |du )?(?:nuit|jour|matin|soir)|(?:le )?week end|"
    r"h ?/ ?f|f ?/ ?h|junior|senior|confirme|experimente|urgent)\b"
)
TITLE_CHARS = 120  # longer than any job title
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
# "… à Annonay", "… sur Privas (07)", "… secteur Aubenas": a place after the occupation, read on the title as
# written: a place is capitalised, the rest of an occupation is not ("Aide à domicile", "Agent sur machine").
_TITLE_PLACE = re.compile(r"\s(?i:à|a|sur|secteur|région|region|proche(?:\s+de)?)\s+[A-ZÀ-Þ].*$")

FloatArray = npt.NDArray[np.float64]


def clean_title(title: str) -> str:
    """The occupation part of an offer title, normalised (case, accents, gender marks, contract, place)."""
    if not title.isupper():  # in capitals throughout, a place cannot be told from the rest
        title = _TITLE_PLACE.sub(" ", title)
    text = normalize_label(title.replace("/", " / "))
    text = _TITLE_NOISE.sub(" ", text)
    return " ".join(text.split()) or normalize_label(title)


def leading_title(text: str) -> str:
    """Where a text has no title field, the words it opens with that may be one: its first line up to the end of its
    first sentence ("Agent d'accueil", then a line break or ". La commune recrute…"), at most
    :data:`TITLE_CHARS` characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    end = _SENTENCE_END.search(line, 2, TITLE_CHARS + 1)
    return line[: end.start()] if end else line[:TITLE_CHARS]


def says_enough(description: str) -> bool:
    """Whether a description says enough of the job to be read beside its title (its words, stop words aside)."""
    return len(analyze(description[:DESCRIPTION_CHARS])) >= MIN_DESCRIPTION_WORDS


@dataclass(frozen=True)
class Guess:
    """One candidate occupation and the model's probability that it is the right one."""

    code: str
    confidence: float


@dataclass
class OccupationManifest:
    """The fitted weights and how they were obtained."""

    version: str
    signals: list[str]
    weights: list[float]
    threshold: float
    use_description: bool
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # For a title without description; empty: the weights and threshold above serve for both.
    title_weights: list[float] = field(default_factory=list)
    title_threshold: float | None = None
    # The embedding model (folder of matcher/models) that read the titles' meaning when the weights were fitted.
    title_model: str = ""

    def weights_for(self, described: bool) -> list[float]:
        """The weights of :data:`SIGNALS`, in order: a signal the manifest has no weight for weighs nothing."""
        weights = self.weights if described or not self.title_weights else self.title_weights
        named = dict(zip(self.signals, weights, strict=True))
        return [named.get(signal, 0.0) for signal in SIGNALS]

    def threshold_for(self, described: bool) -> float:
        return self.threshold if described or self.title_threshold is None else self.title_threshold


def manifest_version(
    signals: Sequence[str],
    weights: Sequence[float],
    threshold: float,
    data_sha256: str,
    title_weights: Sequence[float] = (),
    title_threshold: float | None = None,
    title_model: str = "",
) -> str:
    """``occupations-<12 hex>``: a hash of the parameters, the training data and the model reading titles."""
    content = json.dumps(
        {
            **({"title_model": title_model} if title_model else {}),
            "signals": list(signals),
            "weights": [round(w, 8) for w in weights],
            "threshold": threshold,
            "data": data_sha256,
            **(
                {"title_weights": [round(w, 8) for w in title_weights], "title_threshold": title_threshold}
                if title_weights
                else {}
            ),
        },
        sort_keys=True,
    )
    return "occupations-" + hashlib.sha256(content.encode()).hexdigest()[:12]


def title_reader(model: str) -> OnnxEmbedder | None:
    """The embedding model that reads titles' meaning (a folder of matcher/models), loaded on first use."""
    return OnnxEmbedder(MODELS / model, max_seq_length=TITLE_TOKENS) if model else None


def read_titles(reader: OnnxEmbedder, texts: Sequence[str], cache_dir: Path | None = None) -> npt.NDArray[np.float32]:
    """The vectors of ``texts`` by ``reader``, kept in ``cache_dir`` between processes (keyed by the model and the
    texts); computed when absent or unreadable, and kept when the folder can be written."""
    key = hashlib.sha256("\n".join([reader.model_id, *texts]).encode()).hexdigest()[:16]
    path = cache_dir / f"rome-titles-{key}.npy" if cache_dir else None
    if path is not None and path.exists():
        try:
            kept = np.load(path, mmap_mode="r")  # mapped: the processes of one machine share its pages
            if kept.shape == (len(texts), reader.dims):
                return np.asarray(kept)
        except (OSError, ValueError, EOFError):
            pass  # a damaged file: computed again, and replaced
    # Reference texts, read once per installation: batched (1.5x faster), where a text's vector may move a little with
    # its batch mates (an offer's title is read alone, so its guess never depends on the texts beside it).
    vectors = np.asarray(reader.embed(texts, batch_size=REFERENCE_BATCH), dtype=np.float32)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
            with partial.open("wb") as handle:
                np.save(handle, vectors)
            os.replace(partial, path)  # whole or absent, whatever other process writes it too
        except OSError:
            pass  # a read-only installation computes them in each process
    return vectors


def load_manifest(path: Path = MODEL_PATH) -> OccupationManifest:
    return OccupationManifest(**json.loads(path.read_text(encoding="utf-8")))


def save_manifest(manifest: OccupationManifest, path: Path = MODEL_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest.__dict__, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class Inferer(Protocol):
    """What the ranking needs of occupation inference: guesses with a confidence, best first."""

    def infer(self, title: str, context: str = "", *, k: int = 3, abstain: bool = True) -> list[OccupationGuess]: ...

    def infer_many(
        self, titles: Sequence[str], contexts: Sequence[str] | None = None, *, k: int = 3, abstain: bool = True
    ) -> list[list[OccupationGuess]]: ...


class TitleSignals:
    """The ROME vocabulary as vectors, and the signals of candidate occupations for given texts."""

    def __init__(self, taxonomy: Taxonomy, title_model: str = "", cache_dir: Path | None = None) -> None:
        """``title_model``: the embedding model (a folder of matcher/models) that reads titles' meaning; none, and that
        signal is 0. ``cache_dir``: where the titles' vectors are kept between processes."""
        # Imported here: only building the signals needs scikit-learn, not importing the service (~1 s).
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        self.codes = sorted(taxonomy.occupations)
        position = {code: i for i, code in enumerate(self.codes)}
        entries: dict[tuple[str, str], None] = {}
        for title in taxonomy.job_titles.values():
            for form in gendered_forms(title.label):
                entries[(normalize_label(form), title.rome)] = None
        for occupation in taxonomy.occupations.values():
            for form in gendered_forms(occupation.label):
                entries[(normalize_label(form), occupation.code)] = None
        texts = [text for text, _ in entries]
        owner = np.array([position[code] for _, code in entries])
        order = np.argsort(owner, kind="stable")
        self._texts = [texts[i] for i in order]
        self._owner = owner[order]
        self._starts = np.searchsorted(self._owner, np.arange(len(self.codes)))
        self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32)
        self._word = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float32)
        self._char_titles = self._char.fit_transform(self._texts)
        self._word_titles = self._word.fit_transform(self._texts)
        membership = sp.csr_matrix(
            (np.ones(len(self._owner), dtype=np.float32), (self._owner, np.arange(len(self._owner)))),
            shape=(len(self.codes), len(self._owner)),
        )
        # Kept transposed in CSR: a product with a transposed CSR matrix would convert it on every call.
        self._char_profiles = normalize(membership @ self._char_titles).T.tocsr()
        self._word_profiles = normalize(membership @ self._word_titles).T.tocsr()
        self._char_titles = self._char_titles.T.tocsr()
        self._word_titles = self._word_titles.T.tocsr()
        counts = np.bincount(self._owner, minlength=len(self.codes))
        self._breadth = np.log1p(counts) / math.log1p(counts.max())
        # A prior from open data where the title is ambiguous: occupations that many others lead to (ROME
        # mobility links) tend to be the general ones offers are coded with, rather than a rare speciality.
        inbound = np.zeros(len(self.codes))
        for code in self.codes:
            for target in taxonomy.neighbours(code):
                if target in position:
                    inbound[position[target]] += 1
        self._mobility_in = np.log1p(inbound) / math.log1p(max(inbound.max(), 1.0))
        self._about = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float32)
        about = [
            " ".join(
                [
                    " ".join(self._texts[self._starts[i] : self._starts[i + 1] if i + 1 < len(self.codes) else None]),
                    taxonomy.occupations[code].definition,
                    *(taxonomy.skill_label(s) for s in taxonomy.core_skills(code)),
                ]
            )
            for i, code in enumerate(self.codes)
        ]
        self._about_matrix = self._about.fit_transform(about).T.tocsr()
        self._heads: list[set[str]] = [set() for _ in self.codes]
        for text, code in zip(self._texts, self._owner, strict=True):
            words = analyze(text)
            if words:
                self._heads[code].add(words[0])
        self._taxonomy = taxonomy
        # Every title's meaning (24,000 titles, 37 MB): read by the model once, then mapped from the cache folder.
        self.title_model = title_model
        self._reader = title_reader(title_model)
        self.title_model_id = self._reader.model_id if self._reader is not None else ""
        self._meanings = read_titles(self._reader, self._texts, cache_dir) if self._reader is not None else None
        self._kept: dict[tuple[str, str, int], tuple[npt.NDArray[np.int64], FloatArray]] | None = None

    def _per_code_max(self, similarities: sp.csr_matrix) -> FloatArray:
        dense = np.asarray(similarities.todense(), dtype=np.float64)
        out = np.zeros((dense.shape[0], len(self.codes)))
        # reduceat needs non-empty segments: every occupation has at least its own label.
        out[:, :] = np.maximum.reduceat(dense, self._starts, axis=1)
        return out

    def dictionary(self, title: str) -> str | None:
        """ROME code of the title, or of its longest leading words that form a ROME job title."""
        words = clean_title(title).split()
        for end in range(len(words), 0, -1):
            code = self._taxonomy.rome_for_title(" ".join(words[:end]))
            if code:
                return code
        return None

    def remembering(self) -> TitleSignals:
        """These signals (the vectors shared), keeping each text's once computed: an evaluation that reads the same
        rows in every fold computes them once. Not for the service, whose texts are all new."""
        remembering = copy.copy(self)
        remembering._kept = {}
        return remembering

    def signals(
        self, titles: Sequence[str], descriptions: Sequence[str], *, k: int = CANDIDATES
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Candidate occupations (indexes into ``codes``, n × k) and their signals (n × k × len(SIGNALS))."""
        if self._kept is None:
            return self._computed(titles, descriptions, k)
        keys = [(title, description, k) for title, description in zip(titles, descriptions, strict=True)]
        new = list(dict.fromkeys(key for key in keys if key not in self._kept))
        if new:
            candidates, values = self._computed([t for t, _, _ in new], [d for _, d, _ in new], k)
            self._kept.update((key, (candidates[n], values[n])) for n, key in enumerate(new))
        rows = [self._kept[key] for key in keys]
        return np.array([c for c, _ in rows]).reshape(len(keys), k), np.array([v for _, v in rows]).reshape(
            len(keys), k, len(SIGNALS)
        )

    def _computed(
        self, titles: Sequence[str], descriptions: Sequence[str], k: int
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        cleaned = [clean_title(t) for t in titles]
        candidates = np.zeros((len(titles), k), dtype=np.int64)
        values = np.zeros((len(titles), k, len(SIGNALS)))
        for start in range(0, len(titles), 256):
            chunk = slice(start, start + 256)
            char_q = self._char.transform(cleaned[chunk])
            word_q = self._word.transform(cleaned[chunk])
            char_title = self._per_code_max(char_q @ self._char_titles)
            word_title = self._per_code_max(word_q @ self._word_titles)
            char_profile = np.asarray((char_q @ self._char_profiles).todense())
            word_profile = np.asarray((word_q @ self._word_profiles).todense())
            texts = [d[:DESCRIPTION_CHARS] for d in descriptions[chunk]]
            about = np.asarray((self._about.transform(texts) @ self._about_matrix).todense())
            # Relative to the description's best occupation: long and short descriptions reach different scales.
            about /= np.maximum(about.max(axis=1, keepdims=True), 1e-6)
            title_about = np.asarray((self._about.transform(cleaned[chunk]) @ self._about_matrix).todense())
            meaning = np.zeros_like(title_about)
            if self._reader is not None and self._meanings is not None:  # the nearest title in meaning
                vectors = np.asarray(self._reader.embed(cleaned[chunk]), dtype=np.float32)
                meaning = np.maximum.reduceat(vectors @ self._meanings.T, self._starts, axis=1)
            shortlist = np.argsort(
                -(char_title + word_title + 0.5 * char_profile + 0.5 * about), axis=1, kind="stable"
            )[:, :k]
            for row, title in enumerate(titles[chunk]):
                n = start + row
                top = shortlist[row]
                exact = self.dictionary(title)
                candidates[n] = top
                values[n, :, 0] = char_title[row, top]
                values[n, :, 1] = word_title[row, top]
                values[n, :, 2] = char_profile[row, top]
                values[n, :, 3] = word_profile[row, top]
                values[n, :, 4] = about[row, top]
                values[n, :, 5] = [1.0 if self.codes[c] == exact else 0.0 for c in top]
                values[n, :, 6] = self._breadth[top]
                head = analyze(cleaned[n])[:1]
                values[n, :, 7] = [1.0 if head and head[0] in self._heads[c] else 0.0 for c in top]
                values[n, :, 8] = title_about[row, top]
                values[n, :, 9] = self._mobility_in[top]
                values[n, :, 10] = meaning[row, top]
        return candidates, values


def _voted(codes: list[str], probabilities: FloatArray, votes: Counter[str]) -> tuple[list[str], FloatArray]:
    """The model's candidates mixed with recruiters' corrections of the same title: each corrected offer is one vote
    for its code, the model one vote spread by its probabilities (two corrections to G1605: 2/3 + 1/3 × p). As many
    candidates as before, best first."""
    total = sum(votes.values()) + 1
    mixed = dict(zip(codes, (probabilities / total).tolist(), strict=True))
    for code, count in votes.items():
        mixed[code] = mixed.get(code, 0.0) + count / total
    best = sorted(mixed.items(), key=lambda item: -item[1])[: len(codes)]
    return [code for code, _ in best], np.array([p for _, p in best])


def softmax(scores: FloatArray) -> FloatArray:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True))


class OccupationClassifier:
    """ROME codes for offer titles (and descriptions), with calibrated confidences.

    Build once per process: the vectorisers are fitted from the taxonomy on first use.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        manifest: OccupationManifest,
        corrections: Mapping[str, tuple[str, str]] | None = None,
        *,
        cache_dir: Path | None = None,
        signals: TitleSignals | None = None,
    ) -> None:
        """``cache_dir``: where the ROME titles' vectors are kept between processes (none: read in each);
        ``signals``: already built (training fits several manifests over the same ones)."""
        self.taxonomy = taxonomy
        self.manifest = manifest
        self.cache_dir = cache_dir
        self._signals: TitleSignals | None = signals
        self._model: OccupationClassifier | None = None  # whose signals to share (built once per process)
        self._corrections: dict[str, tuple[str, str]] = dict(corrections or {})  # offer id -> (title, code)
        self._votes: dict[str, Counter[str]] = {}  # cleaned title -> code -> corrected offers
        self._count_votes()

    @classmethod
    def load(
        cls, taxonomy: Taxonomy, path: Path = MODEL_PATH, *, cache_dir: Path | None = None
    ) -> OccupationClassifier:
        return cls(taxonomy, load_manifest(path), cache_dir=cache_dir)

    def with_corrections(self, corrections: Mapping[str, tuple[str, str]]) -> OccupationClassifier:
        """This model, its vectors shared, applying ``corrections`` (offer id -> title, code)."""
        corrected = OccupationClassifier(self.taxonomy, self.manifest, corrections)
        corrected._model = self
        return corrected

    def correct(self, offer_id: str, title: str, code: str) -> None:
        """Learn that the offer ``offer_id``, titled ``title``, is of occupation ``code`` (a recruiter said so);
        a later correction of the same offer replaces it."""
        self._corrections[offer_id] = (title, code)
        self._count_votes()

    def withdraw(self, offer_id: str) -> None:
        """Forget the correction of an offer (deleted, or given another code since by its partner)."""
        if self._corrections.pop(offer_id, None) is not None:
            self._count_votes()

    @property
    def corrections(self) -> Mapping[str, tuple[str, str]]:
        """The corrections applied: offer id -> (title, code)."""
        return MappingProxyType(self._corrections)

    def _count_votes(self) -> None:
        votes: dict[str, Counter[str]] = {}
        for said_title, said_code in self._corrections.values():
            if said_code in self.taxonomy.occupations:  # not a code the taxonomy no longer has
                votes.setdefault(clean_title(said_title), Counter())[said_code] += 1
        self._votes = votes

    def corrections_for(self, title: str) -> int:
        """How many corrected offers share this title (once cleaned)."""
        return sum(self._votes.get(clean_title(title), Counter()).values())

    @property
    def version(self) -> str:
        if not self._corrections:
            return self.manifest.version
        said = json.dumps(sorted(self._corrections.values()), ensure_ascii=False).encode()
        return f"{self.manifest.version}+{hashlib.sha256(said).hexdigest()[:8]}"

    @property
    def signals(self) -> TitleSignals:
        if self._signals is None:
            if self._model is not None:
                self._signals = self._model.signals
            else:
                self._signals = TitleSignals(self.taxonomy, self.manifest.title_model, self.cache_dir)
        return self._signals

    def described(self, descriptions: Sequence[str] | None, n: int) -> list[bool]:
        """Which of ``n`` texts the model reads with their description."""
        if descriptions is None or not self.manifest.use_description:
            return [False] * n
        return [says_enough(d) for d in descriptions]

    def probabilities(
        self, titles: Sequence[str], descriptions: Sequence[str] | None = None
    ) -> tuple[list[list[str]], FloatArray]:
        """Candidate codes per text, best first, and their probabilities (rows sum to 1)."""
        described = self.described(descriptions, len(titles))
        texts = [d if read else "" for d, read in zip(descriptions or [""] * len(titles), described, strict=True)]
        candidates, values = self.signals.signals(titles, texts)
        weights = np.array([self.manifest.weights_for(read) for read in described], dtype=np.float64).reshape(
            len(titles), len(SIGNALS)
        )
        probabilities = softmax(np.einsum("nkd,nd->nk", values, weights))
        order = np.argsort(-probabilities, axis=1, kind="stable")
        codes = [[self.signals.codes[candidates[n, j]] for j in order[n]] for n in range(len(titles))]
        ordered = np.take_along_axis(probabilities, order, axis=1)
        for n, title in enumerate(titles):
            if votes := self._votes.get(clean_title(title)):
                codes[n], ordered[n] = _voted(codes[n], ordered[n], votes)
        return codes, ordered

    def predict(
        self, titles: Sequence[str], descriptions: Sequence[str] | None = None, *, k: int = 5, abstain: bool = True
    ) -> list[list[Guess]]:
        """Up to ``k`` occupations per text, best first; none when the best is below the threshold."""
        codes, probabilities = self.probabilities(titles, descriptions)
        out: list[list[Guess]] = []
        described = self.described(descriptions, len(titles))
        for row_codes, row, read in zip(codes, probabilities, described, strict=True):
            if abstain and row[0] < self.manifest.threshold_for(read):
                out.append([])
                continue
            out.append([Guess(code, float(p)) for code, p in zip(row_codes[:k], row[:k], strict=True)])
        return out

    def infer(self, title: str, context: str = "", *, k: int = 3, abstain: bool = True) -> list[OccupationGuess]:
        """Up to ``k`` occupations for one offer (``context``: its description), ``score`` = confidence."""
        return self.infer_many([title], [context], k=k, abstain=abstain)[0]

    def infer_many(
        self, titles: Sequence[str], contexts: Sequence[str] | None = None, *, k: int = 3, abstain: bool = True
    ) -> list[list[OccupationGuess]]:
        """Like :meth:`predict`, as guesses with their confidence (empty when the model abstains).

        ``abstain=False``: the guesses even below the threshold, for a reader that weighs each by its confidence
        (the ranking) rather than naming one to a person (a page, a CV draft).
        """
        return [
            [OccupationGuess(g.code, g.confidence, "modèle") for g in guesses]
            for guesses in self.predict(titles, contexts, k=k, abstain=abstain)
        ]
