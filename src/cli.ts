#!/usr/bin/env node
// Entry point. The one place that reads the process's environment (through processConfig) and builds the
// context everything below is handed. Protocol verbs (store/get/erase/list/version) are dispatched here with
// nothing heavy loaded: the helper is spawned on every pull. Everything else goes to the management CLI,
// which loads yargs lazily. This program is `lanyard`; on Linux and macOS clients reach it through the native
// front `docker-credential-lanyard` (front/), which execs it with the client's argv, so under either name it
// does everything (a single-file install keeps working) and speaks of itself by the name it was run as.
import { basename } from 'node:path';
import { processConfig } from './config.js';
import { describeError } from './errors.js';
import { startLog } from './log-settings.js';
import { HELPER_NAME, PACKAGE_NAME, VERSION } from './version.js';
import { writeOut } from './output.js';
import { startTrace, trace } from './trace.js';

const PROTOCOL_VERBS = new Set(['store', 'get', 'erase', 'list', 'version']);
const SHORT_NAME = 'lanyard';
const invokedAs = basename(process.argv0 ?? '');
/** How messages name this program: `lanyard` when run by that name, else the helper name clients use. */
const ownName = invokedAs === SHORT_NAME ? SHORT_NAME : HELPER_NAME;
const USAGE =
  ownName === SHORT_NAME
    ? `Usage: ${SHORT_NAME} <store|get|erase|list|version>, or ${SHORT_NAME} --help for the management commands`
    : `Usage: ${HELPER_NAME} <store|get|erase|list|version>`;

// Installed under a kubelet provider name (symlink or copy), the binary speaks only that protocol. The front
// (front/main.go) hands such a name on without answering anything itself: keep the two in step.
const KUBELET_NAME = /credential-provider|kubelet/;

async function main(args: string[]): Promise<number> {
  const config = processConfig();
  startTrace(config.trace);
  trace('runtime started, main begins');
  startLog(config);
  const [verb] = args;
  const commandContext = async () => ({
    ...(await import('./credentials/core-context.js')).contextFor(config),
    out: writeOut,
  });
  if ((verb === 'kubelet' && args.length === 1) || KUBELET_NAME.test(invokedAs)) {
    return (await import('./commands/kubelet.js')).runKubeletProvider(await commandContext());
  }
  if (verb === undefined || (PROTOCOL_VERBS.has(verb) && args.length !== 1)) {
    writeOut(`${USAGE}\n`);
    return 1;
  }
  if (verb === 'version' || ((verb === '--version' || verb === '-v') && args.length === 1)) {
    writeOut(`${HELPER_NAME} (${PACKAGE_NAME}) ${VERSION}\n`);
    return 0;
  }
  if (PROTOCOL_VERBS.has(verb)) {
    const [{ readStdinOnce }, { runHelperVerb }, context] = await Promise.all([
      import('./protocol/stdin.js'),
      import('./commands/helper-verbs.js'),
      commandContext(),
    ]);
    trace('imports: helper verbs, core context');
    return runHelperVerb(verb, { ...context, stdinText: readStdinOnce });
  }
  return (await import('./commands/management.js')).runManagement(args, await commandContext(), ownName);
}

// If the event loop ever ran dry with main() still pending (a promise nobody settles),
// the process would exit 0 with no output, which clients read as a broken answer.
let settled = false;
process.exitCode = 1;
process.once('exit', () => {
  if (!settled) writeOut('internal error: lanyard stopped before it had an answer\n');
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (error: unknown) => {
    // Last resort: a bug must still be one line on stdout, never a stack trace.
    settled = true;
    writeOut(`${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
