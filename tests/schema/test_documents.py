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
