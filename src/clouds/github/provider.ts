// GitHub's registries take a token (a classic PAT with read:packages, a fine-grained token, or a workflow's
// GITHUB_TOKEN) as the password, as it is: there is nothing to exchange it for. What lanyard adds is a check,
// the one `docker login ghcr.io` makes: the registry's own token realm is asked for a token with the stored
// login, so a revoked or expired token shows up in `ls`, doctor and the log before a pull fails.
import { passThrough, type Provider } from '../provider.js';

export const githubProvider: Provider = {
  async issue(entry, token) {
    return passThrough(entry, token);
  },
  async check(entry, token, context) {
    await (await import('./token-check.js')).checkToken(entry, token, context);
    return `the registry's token realm accepts the token of ${entry.username}`;
  },
};
