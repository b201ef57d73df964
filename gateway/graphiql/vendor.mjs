// Copies the browser bundles GraphiQL needs out of node_modules, so the gateway
// serves them itself (gateway/_graphiql.py names the same files).
// Usage: node vendor.mjs [destination]   (default: ../static/graphiql)
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const destination = resolve(process.argv[2] ?? join(here, "..", "static", "graphiql"));

const assets = {
  "react.production.min.js": "react/umd/react.production.min.js",
  "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
  "graphiql.min.js": "graphiql/graphiql.min.js",
  "graphiql.min.css": "graphiql/graphiql.min.css",
  "graphql-ws.min.js": "graphql-ws/umd/graphql-ws.min.js",
  "plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
  "plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
};

rmSync(destination, { recursive: true, force: true });
mkdirSync(destination, { recursive: true });
for (const [name, source] of Object.entries(assets)) {
  copyFileSync(join(here, "node_modules", source), join(destination, name));
}
