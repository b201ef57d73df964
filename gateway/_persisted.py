"""Automatic persisted queries, as Apollo Client's persisted-query link speaks them.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": h}`:
* with no `query`: the gateway runs the document it knows by `h`, or answers
  `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND), upon which the
  client sends the query again with its hash;
* with a `query`: the gateway checks that `h` is its SHA-256, keeps it, runs it.
Hash-only requests make GET queries short enough to cache. When the feature is
off the answer is `PersistedQueryNotSupported`, and clients stop trying.

The answer to a hash-only request says how it may be cached (`cache_control`),
as Apollo advises for persisted queries over GET: one without errors for a
minute, by any cache (`public`), or by the client's own only (`private`) when
the request forwarded headers upstream (its credentials, say); any other,
`PersistedQueryNotFound` included, not at all (`no-store`), so a cache never
keeps a client from registering its document.

The store is an LRU (cachetools) bounded by the characters of the documents it
holds (their `len`, not their UTF-8 bytes), per process.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from cachetools import LRUCache
from graphql import ExecutionResult, GraphQLError

from gateway._refusals import Refusal

__all__ = ["MAX_AGE", "NO_STORE", "PersistedQueries", "cache_control"]

NO_STORE: Final = "no-store"
# Seconds a cache may keep an answer: events change (tags, summaries, scores),
# so a minute, not a day.
MAX_AGE: Final = 60


def cache_control(result: ExecutionResult, *, personal: bool) -> str:
    """The Cache-Control of the answer to a hash-only request.

    `personal`: the upstream was asked with headers of the client's own.
    """
    if result.errors:
        return NO_STORE
    return f"{'private' if personal else 'public'}, max-age={MAX_AGE}"


def _answer(message: str, code: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


class PersistedQueries:
    def __init__(self, *, enabled: bool, max_chars: int) -> None:
        self._enabled = enabled
        self._store: LRUCache[str, str] = LRUCache(maxsize=max_chars, getsizeof=len)

    def resolve(
        self, query: str | None, extensions: dict[str, Any] | None
    ) -> str | ExecutionResult | None:
        """The request's document, or the answer to give instead (a `Refusal` if malformed)."""
        persisted: Any = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        if not self._enabled:
            return _answer("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise Refusal(400, "Unsupported persisted query version.")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str):
            raise Refusal(400, "`persistedQuery.sha256Hash` must be a string.")
        digest = digest.lower()
        if query is None:
            known = self._store.get(digest)
            if known is None:
                return _answer("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return known
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise Refusal(400, "provided sha does not match query")
        if len(query) <= self._store.maxsize:
            self._store[digest] = query
        return query
