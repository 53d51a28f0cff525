// SHA-256 and random ids without importing node:crypto at startup: in the Bun-built binary that import costs
// ~9 ms of every process (measured on 2 cores, a compiled script with and without it), more than anything
// else `get` loads. Bun's own hasher and the Web Crypto global cost nothing to reach; under Node (development,
// tests) the same digest comes from node:crypto, loaded on first use.

interface BunHasher {
  update(data: string): BunHasher;
  digest(encoding: 'hex'): string;
}
const bunRuntime = (globalThis as { Bun?: { CryptoHasher: new (algorithm: 'sha256') => BunHasher } }).Bun;

/** The hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  if (bunRuntime) return new bunRuntime.CryptoHasher('sha256').update(text).digest('hex');
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}

/** `bytes` random bytes from the system's CSPRNG, as hex. */
export function randomHex(bytes: number): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}
