// `login --source NAME` and `--source auto`: one named identity source, or the first of a cloud's sources that
// a node or CI job of that cloud would have, tried in the order the cloud's own SDKs try them
// (docs/wire-identities.md §5). Each cloud's index.ts lists its sources in that order; each source's module is
// imported only when it is used, so nothing here weighs on a `get` that needs no source.
//
// A source that is configured but fails stops `auto` with its own error (a real failure is never hidden behind
// "try the next one"); only a metadata service that does not answer at all lets `auto` go on.
import { TransportError, UserError } from '../errors.js';
import type { SourceContext } from './cloud.js';
import type { ResolvedSource } from './provider.js';
import { identitySource, type SourceCloud, type SourceName, SOURCE_CLOUDS, sourcesOf } from './registry.js';

/** The credential of one named source. */
export async function credentialFrom(name: SourceName, context: SourceContext): Promise<ResolvedSource> {
  const credential = await identitySource(name).credential(context);
  return { name, cloud: SOURCE_CLOUDS[name], credential };
}

/** `--source auto`: the first source of the cloud that is configured, and what it answered. */
export async function credentialFromAuto(cloud: SourceCloud, context: SourceContext): Promise<ResolvedSource> {
  const passed: string[] = [];
  for (const source of sourcesOf(cloud)) {
    const reason = await source.notConfigured?.(context);
    if (reason) {
      passed.push(`${source.name}: ${reason}`);
      continue;
    }
    try {
      const credential = await source.credential(context);
      return { name: source.name as SourceName, cloud, credential, passedOver: passed };
    } catch (error) {
      // Only an absent metadata service means "not this one"; anything else is this source's real failure.
      if (!(error instanceof TransportError) || !source.metadata) throw error;
      passed.push(`${source.name}: ${error.message}`);
    }
  }
  throw new UserError(`no ${cloud} identity found here (${passed.join('; ')})`);
}
