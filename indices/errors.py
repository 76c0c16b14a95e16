"""Errors raised by search backends."""


class SearchError(Exception):
    """Base class for search backend errors."""


class IndexNotFound(SearchError):
    """The named index does not exist (call ``ensure_index`` first)."""

    def __init__(self, index: str) -> None:
        super().__init__(f"index {index!r} does not exist")
        self.index = index


class SearchUnavailable(SearchError):
    """The search engine could not be reached or is overloaded; retrying later may succeed."""


class SearchRequestError(SearchError):
    """The search engine rejected a request (bad query, mapping mismatch); retrying will not help."""
