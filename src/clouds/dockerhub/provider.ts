// Docker Hub has no registry-usable short-lived token (docs/wire-formats.md#docker-hub): clients get
// username + access token (PAT) as stored. What lanyard adds is a periodic check
// against Hub's token endpoint, so a revoked or expired PAT shows up in `ls` and the
// log before a pull fails. The check's HTTP client is loaded only when it runs: a
// `get` passes the token through without loading http.ts.
import { passThrough, type Provider } from '../provider.js';

export const dockerHubProvider: Provider = {
  async issue(entry, token) {
    return passThrough(entry, token);
  },
  async check(entry, token, context) {
    await (await import('./hub-client.js')).checkHubToken(entry, token, context.config);
    return `Docker Hub accepts the access token of ${entry.username}`;
  },
};
