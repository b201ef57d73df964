// Compose pieces-gateway (a running instance, by its `_service { sdl }`) with the
// test-only "timeline" subgraph, run @apollo/gateway over the supergraph, and
// execute operations through it.
//
// stdin:  {"pieces": "http://127.0.0.1:PORT/graphql", "operations": [{"query", "variables"}]}
// stdout: {"sdl", "errors", "hints", "results"}; logs go to stderr.
import { composeServices } from "@apollo/composition";
import { ApolloGateway } from "@apollo/gateway";
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
    const gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl, logger });
    const server = new ApolloServer({ gateway, logger });
    await server.start();
    try {
      for (const { query, variables } of operations) {
        const { body } = await server.executeOperation({ query, variables });
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
