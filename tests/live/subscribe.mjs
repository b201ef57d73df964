// Subscribe to pieces-gateway's workstreamEventChanges with a real client, and print what comes.
//
//   node subscribe.mjs URL KIND COUNT [TIMEOUT_SECONDS]
//
// URL is the gateway's http://…/graphql; KIND is one of
//   graphql-ws   the graphql-ws client (graphql-transport-ws over WebSocket)
//   apollo-ws    Apollo Client with GraphQLWsLink over that client
//   apollo-http  Apollo Client with HttpLink (multipart/mixed;subscriptionSpec=1.0)
//
// stdout: {"ready": true} once subscribed (and, over WebSocket, once connection_ack came),
// then each result as received, one JSON line each. It exits 0 after COUNT results with
// data, 1 on an error, a completion before COUNT or TIMEOUT_SECONDS (default 30).
// What the client sees of the protocol (pings, pongs, closes, the HTTP answer) goes to stderr.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import { WebSocket as NodeWebSocket } from "ws";

const CHANGES = "subscription { workstreamEventChanges { kind id at workstreamEvent { id readable } } }";

const [url, kind, countText, timeoutText = "30"] = process.argv.slice(2);
const count = Number(countText);
if (!url || !Number.isInteger(count) || count < 1) {
  console.error("usage: node subscribe.mjs URL graphql-ws|apollo-ws|apollo-http COUNT [TIMEOUT]");
  process.exit(2);
}
// Node 22 has a WebSocket of its own; Node 20 has none (Apollo's link also looks for the global).
globalThis.WebSocket ??= NodeWebSocket;

const log = (...args) => console.error(`[${kind}]`, ...args);
const emit = (value) => process.stdout.write(JSON.stringify(value) + "\n");
let received = 0;
let stop = () => {};

function end(code, why) {
  if (why) log(why);
  clearTimeout(guard);
  stop();
  // stdout is a pipe: exit once what was written has left.
  process.stdout.write("", () => process.exit(code));
}

const guard = setTimeout(
  () => end(1, `timed out after ${timeoutText} s with ${received} of ${count} results`),
  Number(timeoutText) * 1000,
);

function result(value) {
  emit(value);
  if (value.errors || value.error || !value.data) return end(1, "an error result");
  received += 1;
  if (received === count) end(0);
}

function wsClient(onConnected) {
  return createClient({
    url: url.replace(/^http/, "ws"),
    retryAttempts: 0,
    on: {
      connected: onConnected,
      ping: (received) => log(received ? "ping received" : "ping sent"),
      pong: (received) => log(received ? "pong received" : "pong sent"),
      closed: (event) => log("closed", event?.code, event?.reason),
      error: (error) => log("socket error", String(error?.message ?? error)),
    },
  });
}

function graphqlWs() {
  const client = wsClient(() => emit({ ready: true }));
  const unsubscribe = client.subscribe(
    { query: CHANGES },
    {
      next: result,
      error: (error) => {
        emit({ error: describe(error) });
        end(1, "the subscription failed");
      },
      complete: () => end(1, `completed after ${received} of ${count} results`),
    },
  );
  stop = () => {
    unsubscribe();
    client.dispose();
  };
}

function apollo(link, connected) {
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  let subscribed = false;
  let isConnected = !connected;
  const ready = () => subscribed && isConnected && emit({ ready: true });
  connected?.then(() => {
    isConnected = true;
    ready();
  });
  const subscription = client.subscribe({ query: gql(CHANGES) }).subscribe({
    next: (value) =>
      value.error ? result({ ...value, error: describe(value.error) }) : result(value),
    error: (error) => {
      emit({ error: describe(error) });
      end(1, "the subscription failed");
    },
    complete: () => end(1, `completed after ${received} of ${count} results`),
  });
  subscribed = true;
  ready();
  return { client, subscription };
}

function apolloWs() {
  let onConnected;
  const connected = new Promise((resolve) => (onConnected = resolve));
  const ws = wsClient(() => onConnected());
  const { client, subscription } = apollo(new GraphQLWsLink(ws), connected);
  stop = () => {
    subscription.unsubscribe();
    client.stop();
    ws.dispose();
  };
}

function apolloHttp() {
  const answered = async (...args) => {
    const response = await fetch(...args);
    log("answered", response.status, response.headers.get("content-type"));
    return response;
  };
  const { client, subscription } = apollo(new HttpLink({ uri: url, fetch: answered }));
  stop = () => {
    subscription.unsubscribe();
    client.stop();
  };
}

function describe(error) {
  if (!(error instanceof Error)) return error;
  const described = { name: error.name, message: error.message };
  if (error.errors) described.errors = error.errors;
  if (error.statusCode) described.statusCode = error.statusCode;
  if (error.bodyText) described.bodyText = error.bodyText;
  return described;
}

const kinds = { "graphql-ws": graphqlWs, "apollo-ws": apolloWs, "apollo-http": apolloHttp };
if (!(kind in kinds)) end(2, `no such client kind: ${kind}`);
else kinds[kind]();
