"""A compiled execution path for the common read: snapshots, projected.

Most operations only read `workstreamEvent` / `workstreamEvents` and select
fields of the upstream JSON. graphql-core executes them field by field (a
resolver call, a `ResolveInfo`, a completion and a path per value); here such
an operation is compiled, once per document and condition values, into
closures that rename keys, map enum values to their GraphQL names and keep
only what is selected. Each request then only coerces its variables, loads
the snapshots through its DataLoader and projects them.

* `_eligibility`: which operations are candidates (queries with no directive
  but `@include`/`@skip`), and which variables their conditions read;
* `_compiler`: the plan, built with graphql-core's own field collection;
* `_complete`: the closures that complete each position of the selection;
* `_references`: `Referenced<X>.reference`, whose records (when Pieces OS
  left them out) load after the projection, into slots it left for them;
* `_executor`: a prepared operation's plans (one per value of its condition
  variables, compiled on first use) and `answer`, which runs one. A plan
  answers, or bails; after a bail `schema._execution` runs graphql-core's own
  executor on the same context, whose DataLoader already holds every outcome,
  so the upstream is never asked twice.

Known differences from graphql-core's executor (each covered by
tests/schema/test_compiled.py, which runs every case both ways):

1. Errors come in the order of the response's fields, not in the order their
   loads settle. The GraphQL spec leaves the order of `errors` open; the
   differential test compares errors as a multiset.
2. Values graphql-core would refuse (an `Int` beyond 32 bits, a non-finite
   `Float`, an unknown enum value, a null in a non-null field, a list or a
   string where an object belongs) are never refused by the plan itself: it
   bails, and graphql-core's executor refuses them as it always does.
3. Root arguments refused by `snapshot_keys` (over `max_ids`) bail likewise, and
   so does a reference whose record fails to load (missing, refused, over
   `--max-records`), or whose id no record can have.
4. Within one DataLoader batch, the keys may come in another order: the plan
   loads in the order of the response's fields, graphql-core in the order it
   awaits them. The batches, and the keys in each, are the same.

Nothing else differs: data, its key order, `__typename`, aliases, merged
fields, fragments and conditions are the executor's own.
"""

from __future__ import annotations

from schema.compiled._complete import Bail
from schema.compiled._eligibility import condition_variables
from schema.compiled._executor import Plans, answer

__all__ = ["Bail", "Plans", "answer", "condition_variables"]
