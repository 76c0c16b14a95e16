"""The embedded search backend: in-process, persisted to a directory, no server.

Each index keeps its documents in row order. Writes update rows in place; the derived structures
(BM25 matrix, keyword postings, geo points) are rebuilt lazily on the next search, as a search
engine's refresh would. Deleted ids keep a tombstone with their version, so a late or replayed
write can never bring them back.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import orjson

from indices.analysis import ANALYZER_VERSION, analyze
from indices.bm25 import BM25Matrix, TermRows
from indices.errors import IndexNotFound
from indices.geo import EARTH_RADIUS_KM, haversine_km
from indices.protocol import (
    BulkResult,
    Document,
    Filter,
    GeoDistance,
    Hit,
    Ids,
    Terms,
    Vector,
    WithinReach,
)
from indices.vectors import VectorTable

BoolArray = npt.NDArray[np.bool_]
_T = TypeVar("_T")


# Points whose latitude alone puts them out of reach are skipped before any distance is measured: the
# great-circle distance is at least the earth's radius times the latitude difference. The margin (about a
# millimetre) covers rounding, so exactly the points the full scan would keep are kept.
_MARGIN_DEGREES = 1e-8

KEYWORD = "\x1f"  # joins a keyword's name and value into one term (names never hold it)


@dataclass
class _Points:
    """Every document's points, sorted by latitude, each with its document's row and reach (-1: none)."""

    rows: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    reach: npt.NDArray[np.float64]
    reach_degrees: npt.NDArray[np.float64]  # the reach as a latitude difference

    @classmethod
    def of(cls, rows: list[int], lat: list[float], lon: list[float], reach: list[float]) -> _Points:
        order = np.argsort(np.asarray(lat, dtype=np.float64), kind="stable")
        reaches = np.asarray(reach, dtype=np.float64)[order]
        return cls(
            rows=np.asarray(rows, dtype=np.int64)[order],
            lat=np.asarray(lat, dtype=np.float64)[order],
            lon=np.asarray(lon, dtype=np.float64)[order],
            reach=reaches,
            reach_degrees=np.degrees(reaches / EARTH_RADIUS_KM),
        )

    def _band(self, lat: float, degrees: float) -> slice:
        low, high = np.searchsorted(self.lat, [lat - degrees - _MARGIN_DEGREES, lat + degrees + _MARGIN_DEGREES])
        return slice(int(low), int(high))

    def reaching(self, lat: float, lon: float) -> npt.NDArray[np.int64]:
        """Rows with a point whose own reach covers (lat, lon)."""
        if not len(self.lat):
            return self.rows
        band = self._band(lat, float(self.reach_degrees.max()))
        near = np.abs(self.lat[band] - lat) <= self.reach_degrees[band] + _MARGIN_DEGREES
        near = np.flatnonzero(near) + band.start
        distances = haversine_km(lat, lon, self.lat[near], self.lon[near])
        return self.rows[near[distances <= self.reach[near]]]

    def within(self, lat: float, lon: float, km: float) -> npt.NDArray[np.int64]:
        """Rows with a point within ``km`` of (lat, lon)."""
        band = self._band(lat, float(np.degrees(km / EARTH_RADIUS_KM)))
        distances = haversine_km(lat, lon, self.lat[band], self.lon[band])
        return self.rows[band][distances <= km]


@dataclass
class _Derived:
    bm25: BM25Matrix
    postings: dict[str, dict[str, npt.NDArray[np.int64]]]
    points: _Points
    alive: BoolArray
    # One shortlist asks for the same filters (BM25, then kNN) and the same BM25 query (its missing
    # scores) several times in a row: the last answer of each is kept until the next write.
    last_mask: tuple[tuple[Filter, ...], BoolArray] | None = None
    last_scores: tuple[str, npt.NDArray[np.float32]] | None = None
    # What a keyword filter keeps is the same for every query (e.g. the profiles open to employers).
    kept_by_terms: dict[Terms, BoolArray] = field(default_factory=dict)

    def terms(self, flt: Terms) -> BoolArray:
        keep = self.kept_by_terms.get(flt)
        if keep is None:
            keep = np.zeros(len(self.alive), dtype=bool)
            field_postings = self.postings.get(flt.field, {})
            for value in flt.values:
                if value in field_postings:
                    keep[field_postings[value]] = True
            keep.flags.writeable = False
            self.kept_by_terms[flt] = keep
        return keep

    def scores(self, text: str) -> npt.NDArray[np.float32]:
        """BM25 scores of every row for a query (read-only: shared with the next call for the same text)."""
        if self.last_scores is None or self.last_scores[0] != text:
            scores = self.bm25.scores(analyze(text))  # a long offer's text takes a while to analyse: once
            scores.flags.writeable = False
            self.last_scores = (text, scores)
        return self.last_scores[1]


class _Texts:
    """Every row's text, kept only to analyse it again (another analyzer) and to save it.

    Texts saved in the index's file stay there (read back when saving again or analysing again);
    the ones written since are in memory.
    """

    def __init__(self) -> None:
        self.file: Path | None = None
        self.offsets = np.zeros(1, dtype=np.int64)  # of each saved row's UTF-8 bytes in ``file``
        self.written: dict[int, str] = {}
        self.size = 0

    def __setitem__(self, row: int, text: str) -> None:
        self.written[row] = text
        self.size = max(self.size, row + 1)

    def all(self) -> list[str]:
        """Every row's text (reads the whole file: only to analyse again)."""
        saved = self.file.read_bytes() if self.file is not None else b""
        bounds = self.offsets.tolist()
        return [
            self.written[row] if row in self.written else saved[bounds[row] : bounds[row + 1]].decode()
            for row in range(self.size)
        ]

    def save(self, target: Path) -> npt.NDArray[np.int64]:
        """Write every row's text to ``target``; returns their offsets (unchanged ones copied a run at a time)."""
        saved = len(self.offsets) - 1
        lengths = np.zeros(self.size, dtype=np.int64)
        lengths[:saved] = np.diff(self.offsets)
        encoded = {row: text.encode() for row, text in self.written.items()}
        for row, data in encoded.items():
            lengths[row] = len(data)
        with target.open("wb") as out, self.file.open("rb") if self.file is not None else io.BytesIO() as old:
            start = 0
            for row in [*sorted(encoded), self.size]:
                if start < min(row, saved):  # rows start..row-1 are as saved
                    old.seek(int(self.offsets[start]))
                    _copy(old, out, int(self.offsets[min(row, saved)] - self.offsets[start]))
                if row < self.size:
                    out.write(encoded[row])
                start = row + 1
        offsets = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return offsets

    def adopt(self, file: Path, offsets: npt.NDArray[np.int64]) -> None:
        """The texts are now those saved in ``file``."""
        self.file, self.offsets, self.written, self.size = file, offsets, {}, len(offsets) - 1


def _copy(source: io.BufferedIOBase | io.BytesIO, target: io.BufferedIOBase | io.BufferedWriter, size: int) -> None:
    while size > 0:
        chunk = source.read(min(size, 1 << 24))
        if not chunk:
            raise OSError("index texts file shorter than its offsets")
        target.write(chunk)
        size -= len(chunk)


@dataclass
class _Index:
    dims: int
    ids: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    versions: list[int] = field(default_factory=list)
    alive: list[bool] = field(default_factory=list)
    texts: _Texts = field(default_factory=_Texts)
    terms: TermRows = field(default_factory=TermRows)
    keywords: TermRows = field(default_factory=TermRows)  # each (name, value) as one term: name KEYWORD value
    # Rows share equal points and reaches (one object each, never mutated): 1M documents hold a few
    # thousand distinct ones.
    points: list[tuple[tuple[float, float], ...]] = field(default_factory=list)
    reach: list[float | None] = field(default_factory=list)
    shared: dict[object, object] = field(default_factory=dict, repr=False)
    tombstones: dict[str, int] = field(default_factory=dict)
    live: int = 0  # rows alive, kept up to date: counting is a /health probe's job, on every call
    vectors: VectorTable = field(init=False)
    derived: _Derived | None = None

    def __post_init__(self) -> None:
        self.vectors = VectorTable(self.dims)

    def current_version(self, doc_id: str) -> int | None:
        row = self.rows.get(doc_id)
        if row is not None and self.alive[row]:
            return self.versions[row]
        return self.tombstones.get(doc_id)

    def write(self, doc: Document) -> None:
        row = self.rows.get(doc.id)
        if row is None:
            row = len(self.ids)
            self.rows[doc.id] = row
            self.ids.append(doc.id)
            for column in (self.versions, self.alive, self.points, self.reach):
                column.append(None)  # type: ignore[arg-type]
        if not self.alive[row]:
            self.live += 1
        self.versions[row] = doc.version
        self.alive[row] = True
        self.texts[row] = doc.text
        self.terms.set(row, analyze(doc.text))
        self.keywords.set(row, [name + KEYWORD + value for name, values in doc.keywords.items() for value in values])
        self.points[row] = self.points_of(doc.points)
        self.reach[row] = self.share(doc.reach_km)
        self.vectors.set(row, np.asarray(doc.vector, dtype=np.float32))
        self.tombstones.pop(doc.id, None)
        self.derived = None

    def share(self, value: _T) -> _T:
        """The kept object equal to ``value`` (``value`` itself the first time)."""
        return self.shared.setdefault(("value", value), value)  # type: ignore[return-value]

    def points_of(self, points: Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
        return self.share(tuple((float(p[0]), float(p[1])) for p in points))

    def remove(self, doc_id: str, version: int) -> None:
        row = self.rows.get(doc_id)
        if row is not None:
            self.live -= self.alive[row]
            self.alive[row] = False
            self.texts[row] = ""
            self.terms.clear(row)
            self.keywords.clear(row)
            self.points[row] = ()
            self.vectors.set(row, np.zeros(self.dims, dtype=np.float32))  # a vector is derived from the person too
        self.tombstones[doc_id] = version
        self.derived = None

    def refresh(self) -> _Derived:
        if self.derived is None:
            alive = np.asarray(self.alive, dtype=bool)
            point_rows: list[int] = []
            point_lat: list[float] = []
            point_lon: list[float] = []
            point_reach: list[float] = []
            for row in np.flatnonzero(alive).tolist():
                reach = self.reach[row]
                for lat, lon in self.points[row]:
                    point_rows.append(row)
                    point_lat.append(lat)
                    point_lon.append(lon)
                    point_reach.append(reach if reach is not None else -1.0)
            self.derived = _Derived(
                bm25=BM25Matrix(self.terms),
                postings=self._postings(alive),
                points=_Points.of(point_rows, point_lat, point_lon, point_reach),
                alive=alive,
            )
        return self.derived

    def _postings(self, alive: BoolArray) -> dict[str, dict[str, npt.NDArray[np.int64]]]:
        """Keyword name -> value -> the live rows holding it, ascending."""
        offsets, terms, _ = self.keywords.flat()
        rows = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        live = alive[rows]
        rows, terms = rows[live], terms[live]
        order = np.argsort(terms, kind="stable")
        rows, terms = rows[order], terms[order]
        starts = np.flatnonzero(np.diff(terms, prepend=-1))
        names = list(self.keywords.vocabulary)
        postings: dict[str, dict[str, npt.NDArray[np.int64]]] = {}
        for start, end in pairwise([*starts.tolist(), len(terms)]):
            name, value = names[terms[start]].split(KEYWORD, 1)
            postings.setdefault(name, {})[value] = rows[start:end]
        return postings

    def mask(self, filters: Sequence[Filter]) -> BoolArray:
        """Rows kept by every filter (read-only: the last mask is shared until the next write)."""
        derived = self.refresh()
        key = tuple(filters)
        if derived.last_mask is None or derived.last_mask[0] != key:
            mask = self._mask(derived, key)
            mask.flags.writeable = False
            derived.last_mask = (key, mask)
        return derived.last_mask[1]

    def _mask(self, derived: _Derived, filters: Sequence[Filter]) -> BoolArray:
        mask = derived.alive.copy()
        for flt in filters:
            if isinstance(flt, Terms):
                mask &= derived.terms(flt)
                continue
            keep = np.zeros(len(mask), dtype=bool)
            if isinstance(flt, Ids):
                keep[[self.rows[i] for i in flt.values if i in self.rows]] = True
            elif isinstance(flt, WithinReach):
                keep[derived.points.reaching(flt.lat, flt.lon)] = True
            elif isinstance(flt, GeoDistance):
                for lat, lon in flt.centers:
                    keep[derived.points.within(lat, lon, flt.km)] = True
            else:  # pragma: no cover - exhaustive over Filter
                raise TypeError(f"unknown filter {flt!r}")
            mask &= keep
        return mask


class EmbeddedBackend:
    """In-process :class:`~indices.protocol.SearchBackend`, persisted under ``path`` on ``flush``.

    Args:
        path: Directory holding one sub-directory per index (``None`` keeps everything in memory).
        ann_threshold: From this many documents on, kNN uses the 1-bit scan plus exact rescoring.
        rescore: How many 1-bit candidates are rescored exactly.
    """

    def __init__(self, path: Path | None = None, *, ann_threshold: int = 50_000, rescore: int = 6_000) -> None:
        self.path = path
        self.ann_threshold = ann_threshold
        self.rescore = rescore
        self._indices: dict[str, _Index] = {}
        self._dirty: set[str] = set()
        self._lock = threading.RLock()
        if path is not None and path.exists():
            for child in sorted(path.iterdir()):
                if (child / "meta.json").exists():
                    self._indices[child.name] = _load(child)

    def _index(self, index: str) -> _Index:
        try:
            return self._indices[index]
        except KeyError:
            raise IndexNotFound(index) from None

    def ensure_index(self, index: str, *, dims: int) -> None:
        with self._lock:
            if index not in self._indices:
                self._indices[index] = _Index(dims=dims)
                self._dirty.add(index)

    def drop_index(self, index: str) -> None:
        with self._lock:
            self._indices.pop(index, None)
            self._dirty.discard(index)
            if self.path is not None and (self.path / index).exists():
                shutil.rmtree(self.path / index)

    def upsert(self, index: str, documents: Sequence[Document]) -> BulkResult:
        result = BulkResult()
        with self._lock:
            idx = self._index(index)
            for doc in documents:
                current = idx.current_version(doc.id)
                if doc.vector.shape != (idx.dims,):
                    result.failed[doc.id] = f"vector has shape {doc.vector.shape}, index expects ({idx.dims},)"
                elif current is not None and doc.version <= current:
                    result.stale.append(doc.id)
                else:
                    idx.write(doc)
                    result.written.append(doc.id)
            if result.written:
                self._dirty.add(index)
        return result

    def delete(self, index: str, ids_versions: Sequence[tuple[str, int]]) -> BulkResult:
        result = BulkResult()
        with self._lock:
            idx = self._index(index)
            for doc_id, version in ids_versions:
                current = idx.current_version(doc_id)
                if current is not None and version < current:
                    result.stale.append(doc_id)
                else:
                    idx.remove(doc_id, version)
                    result.written.append(doc_id)
            self._dirty.add(index)
        return result

    def versions(self, index: str) -> dict[str, int]:
        with self._lock:
            idx = self._index(index)
            return {i: v for i, v, a in zip(idx.ids, idx.versions, idx.alive, strict=True) if a}

    def vectors(self, index: str, ids: Sequence[str]) -> dict[str, Vector]:
        with self._lock:
            idx = self._index(index)
            rows = {i: idx.rows[i] for i in ids if i in idx.rows and idx.alive[idx.rows[i]]}
            return {i: idx.vectors.get(row) for i, row in rows.items()}

    def count(self, index: str) -> int:
        with self._lock:
            return self._index(index).live

    def bm25(self, index: str, text: str, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        with self._lock:
            idx = self._index(index)
            mask = idx.mask(filters)
            scores = idx.refresh().scores(text)
            rows = np.flatnonzero(mask)  # a shortlist's filters keep a few % of the rows: test their scores only
            top = best_rows(rows[scores[rows] > 0], scores, k)
            return [Hit(idx.ids[row], float(scores[row])) for row in top.tolist()]

    def knn(self, index: str, vector: Vector, *, filters: Sequence[Filter] = (), k: int = 100) -> list[Hit]:
        with self._lock:
            idx = self._index(index)
            mask = idx.mask(filters)
            rows, scores = idx.vectors.search(
                np.asarray(vector, dtype=np.float32),
                mask,
                k,
                approximate=idx.vectors.size >= self.ann_threshold,
                rescore=max(self.rescore, k),
            )
            return [Hit(idx.ids[row], float(score)) for row, score in zip(rows, scores, strict=True)]

    def flush(self) -> None:
        if self.path is None:
            return
        with self._lock:
            for name in sorted(self._dirty):
                if name in self._indices:
                    _save(self._indices[name], self.path / name)
            self._dirty.clear()


def best_rows(rows: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    """The ``k`` best of ``rows`` (ascending) by score, ties in row order: a full stable sort's first ``k``.

    Only the rows scoring at least the k-th best score are sorted (tens of thousands match a long offer).
    """
    values = scores[rows]
    if 0 < k < len(rows):
        kth = np.partition(values, len(values) - k)[len(values) - k]
        kept = values >= kth
        rows, values = rows[kept], values[kept]
    return rows[np.argsort(-values, kind="stable")[: max(k, 0)]]


def _save(idx: _Index, target: Path) -> None:
    """Write the index next to ``target`` then swap it in, so a crash never leaves half an index."""
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    idx.vectors.save(staging / "vectors.npy", staging / "codes.npy")
    np.save(staging / "texts.npy", text_offsets := idx.texts.save(staging / "texts.bin"))
    offsets, term_ids, term_tfs = idx.terms.flat()
    np.savez(staging / "terms.npz", offsets=offsets, ids=term_ids, tfs=term_tfs)
    offsets, term_ids, term_tfs = idx.keywords.flat()
    np.savez(staging / "keywords.npz", offsets=offsets, ids=term_ids, tfs=term_tfs)
    meta = {
        "dims": idx.dims,
        "ids": idx.ids,
        "versions": idx.versions,
        "alive": idx.alive,
        "analyzer": ANALYZER_VERSION,
        "vocabulary": list(idx.terms.vocabulary),
        "keyword_terms": list(idx.keywords.vocabulary),
        "points": idx.points,
        "reach": idx.reach,
        "tombstones": idx.tombstones,
    }
    (staging / "meta.json").write_bytes(orjson.dumps(meta))
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)  # still mapped: its pages stay readable until adopted below
    idx.vectors.adopt(target / "vectors.npy", target / "codes.npy")
    idx.texts.adopt(target / "texts.bin", text_offsets)


def _load(source: Path) -> _Index:
    meta = orjson.loads((source / "meta.json").read_bytes())
    idx = _Index(dims=meta["dims"])
    idx.ids = meta["ids"]
    idx.rows = {doc_id: row for row, doc_id in enumerate(idx.ids)}
    idx.versions = meta["versions"]
    idx.alive = meta["alive"]
    idx.live = sum(idx.alive)
    if "texts" in meta:  # saved before texts had their own file: in memory until the next save
        for row, text in enumerate(meta["texts"]):
            idx.texts[row] = text
    else:
        idx.texts.adopt(source / "texts.bin", np.load(source / "texts.npy"))
    if meta.get("analyzer") == ANALYZER_VERSION and (source / "terms.npz").exists():
        with np.load(source / "terms.npz") as arrays:
            idx.terms = TermRows.from_flat(meta["vocabulary"], arrays["offsets"], arrays["ids"], arrays["tfs"])
    else:  # built by another analyzer or format: analyse the stored texts again
        for row, (text, alive) in enumerate(zip(idx.texts.all(), idx.alive, strict=True)):
            idx.terms.set(row, analyze(text) if alive else [])
    if "keywords" in meta:  # saved as one mapping per row
        for row, keywords in enumerate(meta["keywords"]):
            idx.keywords.set(row, [name + KEYWORD + value for name, values in keywords.items() for value in values])
    else:
        with np.load(source / "keywords.npz") as arrays:
            idx.keywords = TermRows.from_flat(meta["keyword_terms"], arrays["offsets"], arrays["ids"], arrays["tfs"])
    idx.points = [idx.points_of(points) for points in meta["points"]]
    idx.reach = [idx.share(reach) for reach in meta["reach"]]
    idx.tombstones = meta["tombstones"]
    idx.vectors.adopt(source / "vectors.npy", source / "codes.npy")
    return idx
