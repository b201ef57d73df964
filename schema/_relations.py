"""The relations a workstream event has, each with an associate and a disassociate.

One row per relation; `schema._mutation` turns every row into two mutations.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["RELATIONS", "Relation"]


class Relation(NamedTuple):
    suffix: str  # the SDK method suffix, e.g. workstreamEventAssociate{suffix}
    argument: str  # the GraphQL argument naming the other record
    segment: str  # the upstream path segment(s) between the event id and the action
    noun: str  # for descriptions


RELATIONS = (
    Relation(
        "WorkstreamSummary", "workstreamSummary", "workstream_summaries", "workstream summary"
    ),
    Relation("Anchor", "anchor", "anchors", "anchor"),
    Relation("Annotation", "annotation", "annotations", "annotation"),
    Relation("ConversationMessage", "message", "messages", "conversation message"),
    Relation("Person", "person", "persons", "person"),
    Relation("Tag", "tag", "tags", "tag"),
    Relation("Website", "website", "websites", "website"),
    Relation(
        "WorkstreamPatternEngineSource",
        "source",
        "workstream_pattern_engine/sources",
        "workstream pattern engine source",
    ),
    Relation(
        "SourceWindow",
        "sourceWindow",
        "workstream_pattern_engine/source_windows",
        "workstream pattern engine source window",
    ),
)
