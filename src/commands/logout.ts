// `logout SERVER`: forget one entry (exactly that server or pattern) and its secret.
import type { Argv } from 'yargs';
import { processContext } from '../credentials/core-context.js';
import { UserError } from '../errors.js';
import { writeErr } from '../output.js';

export function registerLogout(cli: Argv): Argv {
  return cli.command(
    'logout <server>',
    'remove the login for a registry or host pattern',
    (y) => y.positional('server', { type: 'string', describe: 'as given to login' }).example('$0 logout us.icr.io', ''),
    async (argv) => {
      const { eraseCredential } = await import('../credentials/erase-credential.js');
      const entry = await eraseCredential(processContext(), argv.server!);
      // A person typing `logout` wants to know the name matched nothing (a typo, a pattern spelled differently).
      if (!entry) throw new UserError(`no login for ${argv.server}; see docker-credential-lanyard ls`);
      writeErr(`Removed the login for ${entry.server}.\n`);
    },
  );
}
