// A profile's credential_process: the program is run directly (split as botocore splits it, never by a shell),
// in lanyard's environment, with a deadline (LANYARD_AWS_PROCESS_TIMEOUT_S) and its output capped; it must print
// the SDKs' JSON, Version 1: {"Version":1,"AccessKeyId","SecretAccessKey"[,"SessionToken"][,"Expiration"]}.
// A program that hangs, floods its output or fails is killed or reported in one line naming the profile.
import { spawn } from 'node:child_process';
import type { Environment } from '../../config.js';
import { UserError } from '../../errors.js';
import { foreignText, quoted } from '../../foreign-text.js';
import { hasProcessGroups, hostPlatform, type Platform } from '../../platform.js';
import { Field, parseJson } from '../../validate.js';
import { accessKeys, type AwsCredential } from './credential.js';
import { shellWords, ShellWordsError } from './shell-words.js';
import { believedExpiry } from '../source-io.js';

/** Credentials JSON is a few kilobytes; a program printing more is not printing credentials. */
const OUTPUT_MAX_BYTES = 64 * 1024;
/** Enough of its stderr to say why it failed. */
const STDERR_KEPT_BYTES = 4096;

export interface ProcessOptions {
  env: Environment;
  timeoutMs: number;
  /** Whose process model applies (process groups or not); this machine's unless a test says. */
  platform?: Platform;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv` to its end, or throws `fail(reason)` when it cannot start, overflows or outlives the deadline. */
function run(argv: string[], options: ProcessOptions, fail: (reason: string) => UserError): Promise<Finished> {
  const groups = hasProcessGroups(options.platform ?? hostPlatform());
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: groups, // its own process group, so what it started dies with it
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;
    const stop = (error?: UserError, finished?: Finished) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        try {
          if (child.pid && groups) process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          child.kill('SIGKILL'); // the group is gone already
        }
        child.stdout.destroy();
        child.stderr.destroy();
        reject(error);
      } else resolve(finished!);
    };
    const timer = setTimeout(
      () =>
        stop(fail(`did not finish within ${Math.round(options.timeoutMs / 1000)} s (LANYARD_AWS_PROCESS_TIMEOUT_S)`)),
      options.timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > OUTPUT_MAX_BYTES) return stop(fail(`printed more than ${OUTPUT_MAX_BYTES} bytes`));
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEPT_BYTES) stderr += chunk.toString('utf8').slice(0, STDERR_KEPT_BYTES);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'ENOENT' ? 'no such program' : error.code === 'EACCES' ? 'not executable' : error.message;
      stop(fail(`could not start ${quoted(argv[0]!)}: ${why}`));
    });
    child.on('close', (code) => stop(undefined, { code, stdout: Buffer.concat(stdout).toString('utf8'), stderr }));
  });
}

/** The last line the program wrote on stderr, made safe: usually the reason it gives. */
const lastLine = (text: string) => foreignText(text.trim().split('\n').at(-1) ?? '', 200);

export async function awsFromProcess(
  command: string,
  profile: string,
  options: ProcessOptions,
): Promise<AwsCredential> {
  const fail = (reason: string) =>
    new UserError(`the credential_process of AWS profile ${quoted(profile)} ${reason}: fix the program or the profile`);
  let argv: string[];
  try {
    argv = shellWords(command);
  } catch (error) {
    if (!(error instanceof ShellWordsError)) throw error;
    throw fail(`cannot be split into words (${error.message})`);
  }
  if (argv.length === 0) throw fail('is empty');
  const finished = await run(argv, options, fail);
  if (finished.code !== 0) {
    const said = lastLine(finished.stderr);
    throw fail(`exited with ${finished.code ?? 'a signal'}${said ? ` (${said})` : ''}`);
  }
  try {
    const output = Field.root('its output', parseJson(finished.stdout));
    output.member('Version').equal(1);
    const accessKeyId = output.member('AccessKeyId').nonEmptyString();
    const secretAccessKey = output.member('SecretAccessKey').nonEmptyString();
    const sessionToken = output.member('SessionToken').optionalString();
    const expiration = output.member('Expiration').optionalString();
    const where = `the credential_process of AWS profile ${quoted(profile)}`;
    const credential = accessKeys(
      accessKeyId,
      secretAccessKey,
      sessionToken || undefined,
      `profile ${profile}, process`,
    );
    return expiration === undefined
      ? credential
      : { ...credential, expiresAt: believedExpiry(where, Date.parse(expiration)) };
  } catch (error) {
    if (error instanceof SyntaxError) throw fail('printed something that is not JSON');
    if (error instanceof UserError) throw fail(`printed JSON the SDKs would refuse (${error.message})`);
    throw error;
  }
}
