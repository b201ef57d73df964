"""Turn a GraphQL input value into the upstream's JSON, key for key.

Strawberry hands resolvers input objects as dataclasses whose attributes are
named after the upstream keys (see `schema._keys`). Fields the client left out
are `UNSET` and are left out here too: the upstream never sees a null it was
not sent. Enum members go back to their raw upstream value; `DateTime` and
`JSONObject` values are already in their upstream form.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from strawberry import UNSET

from schema._keys import upstream_key

__all__ = ["to_upstream"]


def to_upstream(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            upstream_key(field.name): to_upstream(item)
            for field in dataclasses.fields(value)
            if (item := getattr(value, field.name)) is not UNSET
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [to_upstream(item) for item in value]
    return value
