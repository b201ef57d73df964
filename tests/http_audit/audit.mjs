// Runs graphql-http's server audits against the URL given as the only argument
// and prints one JSON array: {id, name, status, reason?, response?} per audit.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

async function describe(response) {
  let body;
  try {
    body = await response.clone().text();
  } catch {
    body = null; // already read by the audit
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body,
  };
}

const results = await auditServer({ url });
const report = await Promise.all(
  results.map(async (result) =>
    result.status === 'ok'
      ? { id: result.id, name: result.name, status: result.status }
      : {
          id: result.id,
          name: result.name,
          status: result.status,
          reason: result.reason,
          response: await describe(result.response),
        },
  ),
);
process.stdout.write(JSON.stringify(report));
