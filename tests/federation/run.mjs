// Compose pieces-gateway (a running instance, by its `_service { sdl }`) with the
// test-only "timeline" subgraph, run @apollo/gateway over the supergraph, and
// execute operations through it, one after another.
//
// stdin:  {"pieces": "http://127.0.0.1:PORT/graphql", "operations": [{"id", "query", "variables"}]}
// stdout: {"sdl", "errors", "hints", "results"}; logs go to stderr.
//
// Each subgraph fetch the router makes for an operation carries its `id` as
// `x-request-id`, which pieces-gateway sends on to Pieces OS: the upstream calls
// each operation cost can be told apart.
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";

import { serve, typeDefs } from "./timeline.mjs";

const log = (...args) => console.error(...args);
const logger = { debug() {}, info() {}, warn: log, error: log };

async function readStdin() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}

async function subgraphSdl(url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data._service.sdl;
}

const { pieces, operations } = await readStdin();
const timeline = await serve();
try {
  const sdl = await subgraphSdl(pieces);
  const { parse } = await import("graphql");
  const composed = composeServices([
    { name: "pieces", url: pieces, typeDefs: parse(sdl) },
    { name: "timeline", url: `http://127.0.0.1:${timeline.address().port}/`, typeDefs },
  ]);
  const output = {
    sdl,
    errors: (composed.errors ?? []).map((e) => ({ code: e.extensions?.code, message: e.message })),
    hints: (composed.hints ?? []).map((h) => ({ code: h.definition.code, message: h.message })),
    results: [],
  };
  if (!composed.errors) {
    const gateway = new ApolloGateway({
      supergraphSdl: composed.supergraphSdl,
      logger,
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource({
          url,
          willSendRequest({ request, context }) {
            request.http.headers.set("x-request-id", context.operation);
          },
        }),
    });
    const server = new ApolloServer({ gateway, logger });
    await server.start();
    try {
      for (const { id, query, variables } of operations) {
        const contextValue = { operation: id };
        const { body } = await server.executeOperation({ query, variables }, { contextValue });
        output.results.push(body.singleResult);
      }
    } finally {
      await server.stop();
    }
  }
  process.stdout.write(JSON.stringify(output));
} finally {
  timeline.close();
}
