// GraphQL Mesh's composition for `make bench-peer`: the OpenAPI document that
// `python -m bench.openapi` generates, served against the simulator.
// bench/_peer.py sets both variables; the composed supergraph goes to a temp dir.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('Pieces', {
        source: process.env.PIECES_OPENAPI ?? './openapi.json',
        endpoint: process.env.PIECES_UPSTREAM ?? 'http://127.0.0.1:39300',
      }),
    },
  ],
});
