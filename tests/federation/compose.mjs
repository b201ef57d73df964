// Compose subgraphs with two composers, Apollo's (@apollo/composition) and The
// Guild's (@theguild/federation-composition, the one GraphQL Hive uses), and
// print the API schema each one's supergraph exposes to clients, sorted, and
// Apollo's supergraph itself (test_hive.py serves it with Hive Gateway).
//
// stdin:  {"subgraphs": [{"name", "url", "sdl"}]}
// stdout: {"apollo": {"errors", "hints", "api", "supergraph"}, "guild": {"errors", "api"}}
//         (`api` and `supergraph` are null when that composer reports errors)
import { composeServices as apolloCompose } from "@apollo/composition";
import { composeServices as guildCompose } from "@theguild/federation-composition";
import { buildSchema, lexicographicSortSchema, parse, printSchema } from "graphql";

async function readStdin() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}

const errors = (composed) =>
  (composed.errors ?? []).map((e) => ({ code: e.extensions?.code, message: e.message }));
const printed = (schema) => printSchema(lexicographicSortSchema(schema));

const { subgraphs } = await readStdin();
const services = subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) }));

const apollo = apolloCompose(services);
const guild = guildCompose(services);
const output = {
  apollo: {
    errors: errors(apollo),
    hints: (apollo.hints ?? []).map((h) => ({ code: h.definition.code, message: h.message })),
    api: apollo.errors ? null : printed(apollo.schema.toAPISchema().toGraphQLJSSchema()),
    supergraph: apollo.errors ? null : apollo.supergraphSdl,
  },
  guild: {
    errors: errors(guild),
    api: guild.errors ? null : printed(buildSchema(guild.publicSdl)),
  },
};
process.stdout.write(JSON.stringify(output));
