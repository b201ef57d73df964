"""Arguments that several root fields share."""

from __future__ import annotations

from typing import Annotated

import strawberry

__all__ = ["EventId", "Transferables"]

Transferables = Annotated[
    bool | None,
    strawberry.argument(
        description=(
            "Whether Pieces OS includes transferable data (the raw content of formats); "
            "false is lighter. Left out, Pieces OS decides."
        )
    ),
]

EventId = Annotated[
    strawberry.ID, strawberry.argument(description="The id of the workstream event.")
]
