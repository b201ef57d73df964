// Hive Gateway's configuration for test_hive.py:
//
//   hive-gateway supergraph SUPERGRAPH --config-path tests/federation/hive.config.mjs
//
// The pieces subgraph's subscriptions go to it over WebSocket (graphql-transport-ws,
// at its URL in the supergraph with ws:// for http://); its queries and mutations,
// and everything of the timeline subgraph, over HTTP as usual. Without this entry
// Hive Gateway subscribes over HTTP with `Accept: text/event-stream` (SSE), which
// pieces-gateway does not serve (SUBSCRIPTION_NEEDS_WEBSOCKET).
import { defineConfig } from "@graphql-hive/gateway";

export const gatewayConfig = defineConfig({
  transportEntries: {
    pieces: { options: { subscriptions: { kind: "ws" } } },
  },
});
