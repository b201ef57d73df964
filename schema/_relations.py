"""The relations a workstream event has: the records it points at, and how each is reached.

One row per relation. `schema._mutation` turns every row into an associate and
a disassociate mutation; `schema._related` resolves `Referenced<X>.reference`
through the row's GET endpoint; `schema.codegen` reads the row's models.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["RECORD_MODELS", "RELATIONS", "Relation"]


class Relation(NamedTuple):
    suffix: str  # the SDK method suffix, e.g. workstreamEventAssociate{suffix}
    argument: str  # the GraphQL argument naming the other record
    segment: str  # the upstream path segment(s) between the event id and the action
    noun: str  # for descriptions
    key: str  # the event's JSON key holding the references (a Flattened<X>s)
    model: str  # the SDK model the record's own endpoint answers with
    flattened: str  # the SDK model an embedded reference carries
    record_path: str  # the record's GET endpoint, before its percent-encoded id

    @property
    def referenced(self) -> str:
        """The type holding one reference: `ReferencedTag` for `FlattenedTag`."""
        return "Referenced" + self.flattened.removeprefix("Flattened")


RELATIONS = (
    Relation(
        "WorkstreamSummary",
        "workstreamSummary",
        "workstream_summaries",
        "workstream summary",
        "summaries",
        "WorkstreamSummary",
        "FlattenedWorkstreamSummary",
        "/workstream_summary/",
    ),
    Relation(
        "Anchor", "anchor", "anchors", "anchor", "anchors", "Anchor", "FlattenedAnchor", "/anchor/"
    ),
    Relation(
        "Annotation",
        "annotation",
        "annotations",
        "annotation",
        "annotations",
        "Annotation",
        "FlattenedAnnotation",
        "/annotation/",
    ),
    Relation(
        "ConversationMessage",
        "message",
        "messages",
        "conversation message",
        "messages",
        "ConversationMessage",
        "FlattenedConversationMessage",
        "/message/",
    ),
    Relation(
        "Person", "person", "persons", "person", "persons", "Person", "FlattenedPerson", "/person/"
    ),
    Relation("Tag", "tag", "tags", "tag", "tags", "Tag", "FlattenedTag", "/tag/"),
    Relation(
        "Website",
        "website",
        "websites",
        "website",
        "websites",
        "Website",
        "FlattenedWebsite",
        "/website/",
    ),
    Relation(
        "WorkstreamPatternEngineSource",
        "source",
        "workstream_pattern_engine/sources",
        "workstream pattern engine source",
        "sources",
        "IdentifiedWorkstreamPatternEngineSource",
        "FlattenedIdentifiedWorkstreamPatternEngineSource",
        "/workstream_pattern_engine/source/",
    ),
    Relation(
        "SourceWindow",
        "sourceWindow",
        "workstream_pattern_engine/source_windows",
        "workstream pattern engine source window",
        "source_windows",
        "WorkstreamPatternEngineSourceWindow",
        "FlattenedWorkstreamPatternEngineSourceWindow",
        "/workstream_pattern_engine/source_window/",
    ),
)
RECORD_MODELS = tuple(relation.model for relation in RELATIONS)
