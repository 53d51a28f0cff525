// The management CLI. yargs costs ~85 ms to import, so this module is loaded only
// for commands that are not protocol verbs.
import yargs from 'yargs';
import { describeError, UserError } from '../errors.js';
import { HELPER_NAME, VERSION } from '../version.js';
import { registerLogin } from './login.js';
import { registerLogout } from './logout.js';
import { registerLs } from './ls.js';
import { registerDaemon } from './daemon.js';
import { registerConfigure } from './configure.js';
import { registerExport } from './export.js';
import { registerPullSecret } from './pull-secret.js';

const COMMANDS = new Set(['login', 'logout', 'ls', 'daemon', 'configure', 'unconfigure', 'export', 'pull-secret', 'help']);

export async function runManagement(args: string[]): Promise<number> {
  const [first] = args;
  if (first !== undefined && !first.startsWith('-') && !COMMANDS.has(first)) {
    // The helper protocol's wording, on stdout, for clients that call an unknown action.
    process.stdout.write(`${HELPER_NAME}: unknown action: ${first}\n`);
    return 1;
  }
  const cli = yargs(args)
    .scriptName(HELPER_NAME)
    .usage(`${HELPER_NAME}: a Docker credential helper that keeps registry secrets in the OS keychain.\n\n`
      + `Protocol verbs (used by docker, podman, skopeo; input on stdin):\n  ${HELPER_NAME} store|get|erase|list|version\n\nManagement:`)
    .version(VERSION)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    .strict()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    // Throwing here stops yargs before it runs the command's handler.
    .fail((message, error) => { throw error ?? new UserError(message); });
  registerLogin(cli);
  registerLogout(cli);
  registerLs(cli);
  registerDaemon(cli);
  registerConfigure(cli);
  registerExport(cli);
  registerPullSecret(cli);
  try {
    await cli.parseAsync();
    return 0;
  } catch (error) {
    process.stderr.write(`${HELPER_NAME}: ${describeError(error)}\n`);
    return 1;
  }
}
