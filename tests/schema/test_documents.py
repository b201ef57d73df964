"""The prepared-document cache of `schema._documents`: bounded by its documents' characters.

Found by the mutation run (`make mutation`): with the cache counting entries instead,
every test still passed.
"""

from __future__ import annotations

from schema import Documents, SchemaOptions
from schema._build import build_schema
from schema._documents import DOCUMENT_CACHE_CHARS

SCHEMA = build_schema()._schema


def _document(i: int) -> str:
    # A comment is no token: a quarter of the cache in one small operation.
    return f"query Q{i} {{ __typename }}\n#" + "x" * (DOCUMENT_CACHE_CHARS // 4)


def test_documents_past_the_bound_in_characters_push_out_the_oldest() -> None:
    documents = Documents(SCHEMA, SchemaOptions())
    first = documents.prepare(_document(0), None)
    assert documents.prepare(_document(0), None) is first  # kept
    for i in range(1, 4):  # four quarters and a little: over the bound
        documents.prepare(_document(i), None)
    assert documents.prepare(_document(0), None) is not first


def test_an_operation_the_document_cannot_choose_is_refused_in_graphql_js_words() -> None:
    documents = Documents(SCHEMA, SchemaOptions())
    two = "query A { __typename } query B { __typename }"
    refusals = [documents.prepare(two, None), documents.prepare(two, "C")]
    assert [[(e.message, e.extensions) for e in r] for r in refusals] == [  # type: ignore[union-attr]
        [
            (
                "Must provide operation name if query contains multiple operations.",
                {"code": "GRAPHQL_VALIDATION_FAILED"},
            )
        ],
        [("Unknown operation named 'C'.", {"code": "GRAPHQL_VALIDATION_FAILED"})],
    ]
