// Secrets that are answered as stored: plain passwords, registry identity tokens
// (`<token>`), docker's OAuth items.
import { passThrough, type Provider } from '../provider.js';

export const staticProvider: Provider = {
  async issue(entry, secret) {
    return passThrough(entry, secret);
  },
};
