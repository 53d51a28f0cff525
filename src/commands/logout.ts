// `logout SERVER`: forget one entry (exactly that server or pattern) and its secret.
import type { Argv } from 'yargs';
import type { CommandContext } from '../credentials/core-context.js';
import { UserError } from '../errors.js';

export async function runLogout(options: { server: string }, context: CommandContext): Promise<void> {
  const { eraseCredential } = await import('../credentials/erase-credential.js');
  const entry = await eraseCredential(context, options.server);
  // A person typing `logout` wants to know the name matched nothing (a typo, a pattern spelled differently).
  if (!entry) throw new UserError(`no login for ${options.server}; see docker-credential-lanyard ls`);
  context.err(`Removed the login for ${entry.server}.\n`);
}

export function registerLogout(cli: Argv, context: CommandContext): Argv {
  return cli.command(
    'logout <server>',
    'remove the login for a registry or host pattern',
    (y) => y.positional('server', { type: 'string', describe: 'as given to login' }).example('$0 logout us.icr.io', ''),
    (argv) => runLogout({ server: argv.server! }, context),
  );
}
