// The test-only subgraph "timeline" (its SDL: supergraph/timeline.graphql): it
// pins workstream events, follows tags and bookmarks summaries. For each of the
// three entities (WorkstreamEvent, FlattenedTag, FlattenedWorkstreamSummary) it
// owns a root field returning them by id and extends them by their key with a
// field of its own, and it declares the value types it shares with
// pieces-gateway exactly as pieces-gateway does (composition hints on any
// difference).
//
//   node tests/federation/timeline.mjs [PORT]   # serve it alone (default 4001)
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import { buildSubgraphSchema } from "@apollo/subgraph";
import { graphql, parse } from "graphql";

export const typeDefs = parse(
  readFileSync(new URL("../../supergraph/timeline.graphql", import.meta.url), "utf8"),
);

// What this subgraph says about an entity is derived from its id, so tests can check it.

/** When an event was pinned. */
export function pinned(id) {
  return { value: "2026-01-02T03:04:05.000Z", readable: `pinned ${id}`, schema: null };
}

/** A tag's followers: one per decimal digit of its id. */
export function followers(id) {
  return id.replace(/[^0-9]/g, "").length;
}

/** When a summary was bookmarked. */
export function bookmarked(id) {
  return { value: "2026-01-02T03:04:05.000Z", readable: `bookmarked ${id}`, schema: null };
}

const byIds = (_, { ids }) => ids.map((id) => ({ id }));
const byKey = ({ id }) => ({ id });

const resolvers = {
  Query: {
    pinnedEvents: byIds,
    followedTags: byIds,
    bookmarkedSummaries: byIds,
  },
  WorkstreamEvent: {
    __resolveReference: byKey,
    pinned: ({ id }) => pinned(id),
  },
  FlattenedTag: {
    __resolveReference: byKey,
    followers: ({ id }) => followers(id),
  },
  FlattenedWorkstreamSummary: {
    __resolveReference: byKey,
    bookmarked: ({ id }) => bookmarked(id),
  },
};

export const schema = buildSubgraphSchema([{ typeDefs, resolvers }]);

/** Serve the subgraph on a free loopback port; resolves to the listening server. */
export function serve(port = 0) {
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    const { query, variables, operationName } = JSON.parse(body);
    const result = await graphql({
      schema,
      source: query,
      variableValues: variables,
      operationName,
    });
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(result));
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await serve(Number(process.argv[2] ?? 4001));
  console.error(`timeline subgraph at http://127.0.0.1:${server.address().port}/`);
}
