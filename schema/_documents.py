"""Documents, prepared once: parsed, validated within the limits, their operation chosen.

Frontends send the same few documents over and over. `Documents.prepare`
keys on the document's text and the operation name: parsing, validation
(the limits of `schema._limits` first, then graphql-core's rules), choosing
the operation and finding its compilation candidates run once per distinct
key, and a document refused once is refused again from the cache, with the
same errors. Each refusal is coded here, where it arises: a document that does
not parse is GRAPHQL_PARSE_FAILED (MAX_TOKENS_EXCEEDED over the token limit),
one over a limit has its limit's code, one graphql-core's rules refuse is
GRAPHQL_VALIDATION_FAILED, and so is an operation name the document lacks.

The cache is an LRU (cachetools) bounded by the characters of the documents it
holds; a document larger than the whole bound is prepared every time, never
kept.

Every distinct document is validated before it first runs; variables are
coerced per request (`schema._execution`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)

from schema._limits import SchemaOptions, measure, validation_rules
from schema.compiled import Plans, condition_variables

__all__ = ["Documents", "Prepared"]

# Characters of document text kept prepared: a parsed and validated document
# weighs a few hundred times its text, so this bounds the cache to tens of MiB.
DOCUMENT_CACHE_CHARS = 256 * 1024


@dataclass(frozen=True, slots=True)
class Prepared:
    """A valid document and the one operation of it to run."""

    document: DocumentNode
    operation: OperationDefinitionNode
    kind: OperationType
    name: str | None
    plans: Plans | None  # the compiled path's, when the operation is a candidate


class Documents:
    def __init__(self, schema: GraphQLSchema, options: SchemaOptions) -> None:
        self._schema = schema
        self._options = options
        self._rules = validation_rules(options)
        # Each entry is (characters of its document, what preparing it gave).
        self._cache: LRUCache[tuple[str, str | None], _Entry] = LRUCache(
            maxsize=DOCUMENT_CACHE_CHARS, getsizeof=_weight
        )

    def prepare(self, query: str, operation_name: str | None) -> Prepared | list[GraphQLError]:
        """The document's operation, ready to run, or the (coded) errors that refuse it."""
        key = (query, operation_name)
        entry = self._cache.get(key)
        if entry is None:
            entry = (len(query), self._prepare(query, operation_name))
            if entry[0] <= DOCUMENT_CACHE_CHARS:
                self._cache[key] = entry
        return entry[1]

    def _prepare(self, query: str, operation_name: str | None) -> Prepared | list[GraphQLError]:
        options = self._options
        try:
            document = parse(query, max_tokens=options.max_tokens, allow_empty_selection_sets=False)
        except GraphQLError as error:
            return [_parse_failure(error, options.max_tokens)]
        errors = measure(document, options) or validate(
            self._schema, document, self._rules, hide_suggestions=not options.suggestions
        )
        if errors:
            return [_coded(error, "GRAPHQL_VALIDATION_FAILED") for error in errors]
        operation = _operation(document, operation_name)
        if isinstance(operation, GraphQLError):
            return [_coded(operation, "GRAPHQL_VALIDATION_FAILED")]
        plans = None
        if options.compiled_execution:
            fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
            conditions = condition_variables(operation, fragments)
            plans = None if conditions is None else Plans(conditions)
        name = operation.name.value if operation.name else None
        return Prepared(document, operation, operation.operation, name, plans)


_Entry = tuple[int, Prepared | list[GraphQLError]]

# graphql-core's parser words its token limit so, and offers no other sign of
# it (tests/schema/test_limits.py pins the wording).
_TOKENS = "Document contains more than {} tokens. Parsing aborted."


def _parse_failure(error: GraphQLError, max_tokens: int) -> GraphQLError:
    over = _TOKENS.format(max_tokens) in error.message
    return _coded(error, "MAX_TOKENS_EXCEEDED" if over else "GRAPHQL_PARSE_FAILED")


def _coded(error: GraphQLError, code: str) -> GraphQLError:
    """`error` with `code`, unless it carries one (a limit's, from `measure`)."""
    if (error.extensions or {}).get("code"):
        return error
    error.extensions = {**(error.extensions or {}), "code": code}
    return error


def _weight(entry: _Entry) -> int:
    return entry[0]


def _operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | GraphQLError:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) == 1:
            return operations[0]
        return GraphQLError("Must provide operation name if query contains multiple operations.")
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    return GraphQLError(f"Unknown operation named '{operation_name}'.")
