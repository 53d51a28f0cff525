// A warm cache for Debian's amazon-ecr-credential-helper (docker-credential-ecr-login 0.6), the peer of a cached
// ECR token `get`: the state it is in after its first get, written directly, since this release of it cannot be
// pointed at a stand-in (its AWS SDK predates AWS_ENDPOINT_URL). The layout is its ecr-login/cache package's:
// <cache dir>/cache.json, {"Registries": {<prefix><account id>: entry}, "Version": "1.0"}, the prefix being
// "<region>-<base64 of md5.New().Sum(access key id)>-" (the key's bytes followed by the MD5 of nothing: its own
// quirk), an entry valid until 10 % of its lifetime is left.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes the cache so that `get` of `https://<account>.dkr.ecr.<region>.amazonaws.com` answers username:secret. */
export function seedEcrLoginCache({ cacheDir, accessKeyId, account, region, username, secret }) {
  const quirk = Buffer.concat([Buffer.from(accessKeyId), createHash('md5').digest()]).toString('base64');
  const now = Date.now();
  const entry = {
    AuthorizationToken: Buffer.from(`${username}:${secret}`).toString('base64'),
    RequestedAt: new Date(now - 60_000).toISOString(),
    ExpiresAt: new Date(now + 12 * 3600_000).toISOString(),
    ProxyEndpoint: `https://${account}.dkr.ecr.${region}.amazonaws.com`,
    Service: 'ecr',
  };
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const cache = { Registries: { [`${region}-${quirk}-${account}`]: entry }, Version: '1.0' };
  writeFileSync(join(cacheDir, 'cache.json'), JSON.stringify(cache), { mode: 0o600 });
}
