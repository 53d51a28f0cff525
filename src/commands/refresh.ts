// `refresh SERVER`: exchange the login's token now, whatever the cache holds and whatever hold a service asked
// for, and say what came of it. What a person runs once a throttling or an outage is over.
import type { Argv } from 'yargs';
import type { CommandContext } from '../credentials/core-context.js';
import { isoTime } from '../service-limits.js';

export async function runRefresh(options: { server: string }, context: CommandContext): Promise<void> {
  const [{ findEntry }, { issueCredential }, { INLINE_RETRY }] = await Promise.all([
    import('../credentials/resolve-credential.js'),
    import('../credentials/issue-credential.js'),
    import('../retry.js'),
  ]);
  const entry = findEntry(context, options.server);
  const issued = await issueCredential(context, entry, { retry: INLINE_RETRY, force: true });
  const until = issued.answer.expiresAt === undefined ? '' : `, valid until ${isoTime(issued.answer.expiresAt)}`;
  context.err(`Refreshed the login for ${entry.server} (${entry.kind})${until}.\n`);
}

export function registerRefresh(cli: Argv, context: CommandContext): Argv {
  return cli.command(
    'refresh <server>',
    'exchange the token now, ending any hold a token service asked for',
    (y) => y.positional('server', { type: 'string', describe: 'a registry lanyard answers for' }),
    (argv) => runRefresh({ server: argv.server! }, context),
  );
}
