"""Let the context know which operation a request ran, for logs and metrics.

A client often names its operation only inside the document (`query Read
{...}`), not in the request's `operationName`; the name is known once the
document is parsed.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

__all__ = ["RecordOperation"]


class RecordOperation(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        if context is not None and hasattr(context, "operation_name"):
            context.operation_name = self.execution_context.operation_name
        yield
