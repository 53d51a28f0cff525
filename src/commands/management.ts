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
import { registerRefresh } from './refresh.js';
import { registerDoctor } from './doctor.js';
import type { CommandContext } from '../credentials/core-context.js';

const COMMANDS = new Set([
  'login',
  'logout',
  'ls',
  'daemon',
  'configure',
  'unconfigure',
  'export',
  'pull-secret',
  'refresh',
  'doctor',
  'completion',
  'help',
]);

/** `name`: what the program was run as, `lanyard` or the helper name (cli.ts), for the help and messages. */
export async function runManagement(args: string[], context: CommandContext, name = HELPER_NAME): Promise<number> {
  const [first] = args;
  if (first !== undefined && !first.startsWith('-') && !COMMANDS.has(first)) {
    // The helper protocol's wording, on stdout, for clients that call an unknown action.
    context.out(`${name}: unknown action: ${first}\n`);
    return 1;
  }
  const cli = yargs(args)
    .scriptName(name)
    .usage(
      `${name}: a Docker credential helper that keeps registry secrets in the OS keychain.\n\n` +
        'Protocol verbs (used by docker, podman, skopeo; input on stdin):\n' +
        `  ${HELPER_NAME} store|get|erase|list|version\n\nManagement:`,
    )
    .version(VERSION)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    // `completion` prints a bash script (zsh when $SHELL is zsh) that completes commands and options.
    .completion('completion', `print a shell completion script: source <(${name} completion)`)
    .strict()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    // Throwing here stops yargs before it runs the command's handler.
    .fail((message, error) => {
      throw error ?? new UserError(message);
    });
  for (const register of [
    registerLogin,
    registerLogout,
    registerLs,
    registerDaemon,
    registerConfigure,
    registerExport,
    registerPullSecret,
    registerRefresh,
    registerDoctor,
  ])
    register(cli, context);
  try {
    if (first === 'completion' && args.length === 1) {
      // yargs would print the script and then, with exitProcess(false), go on to reject the word as unknown.
      cli.showCompletionScript();
      return 0;
    }
    await cli.parseAsync();
    return 0;
  } catch (error) {
    context.err(`${name}: ${describeError(error)}\n`);
    return 1;
  }
}
