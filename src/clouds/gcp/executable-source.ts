// An `external_account` whose subject token comes from a command (Google's "executable-sourced credentials"),
// as google-auth runs it: only when GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1, without a shell (the command split
// on whitespace), stdout and stderr read together, within the file's timeout_millis; an unexpired answer cached
// in output_file is used instead of running it. Unlike google-auth, the output is capped and a command that runs
// out of time is killed with everything it started. The answer's format (version 1):
//   {"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:id_token"|…jwt|…saml2,
//    "id_token"|"saml_response":"…","expiration_time":<epoch s>}
//   or {"version":1,"success":false,"code","message"}
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config.js';
import { UserError } from '../../errors.js';
import { foreignText, quoted, registerSecret } from '../../foreign-text.js';
import type { ExternalAccount, SubjectSource } from './adc-file.js';

/** A subject token is a JWT or a SAML response: a megabyte is far more than either. */
const OUTPUT_MAX_BYTES = 1024 * 1024;
const SUPPORTED_VERSION = 1;
const TOKEN_FIELDS: Record<string, string> = {
  'urn:ietf:params:oauth:token-type:jwt': 'id_token',
  'urn:ietf:params:oauth:token-type:id_token': 'id_token',
  'urn:ietf:params:oauth:token-type:saml2': 'saml_response',
};

type Executable = Extract<SubjectSource, { kind: 'executable' }>;
/** A response's token, or why it cannot be used now (for a cached one: run the command instead). */
type Reading = { token: string; expires: boolean } | { unusable: string };

/** Reads one response; a malformed one (google-auth's MalformedError) throws, even from the cache. */
function readResponse(response: unknown, where: string): Reading {
  const malformed = (problem: string) => new UserError(`${where} ${problem} (see Google's executable response format)`);
  if (!response || typeof response !== 'object' || Array.isArray(response)) throw malformed('is not a JSON object');
  const body = response as Record<string, unknown>;
  if (!('version' in body)) throw malformed('has no version');
  if (typeof body.version !== 'number') throw malformed('has a version that is not a number');
  if (body.version > SUPPORTED_VERSION) return { unusable: `has version ${body.version}; only 1 is known` };
  if (!('success' in body)) throw malformed('has no success field');
  if (!body.success) {
    if (!('code' in body) || !('message' in body)) throw malformed('says it failed without a code and message');
    const said = `${foreignText(String(body.code), 60)}: ${foreignText(String(body.message), 200)}`;
    return { unusable: `says it failed (${said})` };
  }
  const expiry = body.expiration_time;
  if (expiry !== undefined && (typeof expiry !== 'number' || expiry * 1000 < Date.now())) {
    return { unusable: 'holds a token that has expired (expiration_time is past)' };
  }
  if (!('token_type' in body)) throw malformed('has no token_type');
  const field = TOKEN_FIELDS[String(body.token_type)];
  if (!field) return { unusable: `has an unsupported token_type ${quoted(String(body.token_type), 80)}` };
  const token = body[field];
  if (typeof token !== 'string' || !token) throw malformed(`has no ${field}`);
  registerSecret(token);
  return { token, expires: expiry !== undefined };
}

/** The output file's cached answer, when it is there, whole, unexpired and has an expiry (google-auth's rule). */
function cachedToken(outputFile: string): string | undefined {
  let response: unknown;
  try {
    response = JSON.parse(readFileSync(outputFile, 'utf8'));
  } catch {
    return undefined; // absent or unreadable: run the command
  }
  const reading = readResponse(
    response,
    `the cached answer in ${outputFile} (credential_source.executable.output_file)`,
  );
  return 'token' in reading && reading.expires ? reading.token : undefined;
}

/** Runs the command; resolves to its exit code and its stdout and stderr together. */
function run(executable: Executable, env: Record<string, string | undefined>, what: string) {
  const [program, ...args] = executable.command as [string, ...string[]];
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const stop = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        // The command and whatever it started form one process group: end all of it, by its id.
        if (child.pid !== undefined && child.exitCode === null) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        reject(error);
      }
    };
    const timer = setTimeout(() => {
      const limit = `${executable.timeoutMs} ms (timeout_millis)`;
      stop(new UserError(`${what} did not finish within ${limit}: it was stopped; run it yourself to see why`));
    }, executable.timeoutMs);
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size > OUTPUT_MAX_BYTES) {
        const detail = `printed more than ${OUTPUT_MAX_BYTES} bytes: it is not a token answer (stopped); fix it`;
        stop(new UserError(`${what} ${detail}`));
        return;
      }
      chunks.push(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ENOENT' ? 'no such program' : error.code === 'EACCES' ? 'not executable' : error.message;
      stop(new UserError(`${what} cannot be run: ${reason}`));
    });
    child.on('close', (code) => {
      if (settled) return;
      stop();
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

export async function executableSubjectToken(
  account: ExternalAccount,
  executable: Executable,
  file: string,
  config: Config,
): Promise<string> {
  const what = `the credential_source command ${quoted(executable.command[0] ?? '', 120)} of ${file}`;
  if (!config.identity.google.allowExecutables) {
    throw new UserError(
      `${file} gets its subject token by running a command, which Google's libraries and lanyard do only when ` +
        'GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1 is set: set it if you trust the file and its command',
    );
  }
  const cached = executable.outputFile ? cachedToken(executable.outputFile) : undefined;
  if (cached) return cached;
  const target = account.impersonation?.target;
  const env = {
    ...config.env,
    GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE: account.audience,
    GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE: account.subjectTokenType,
    GOOGLE_EXTERNAL_ACCOUNT_ID: target ?? '',
    GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE: '0',
    GOOGLE_EXTERNAL_ACCOUNT_REVOKE: '0',
    ...(target ? { GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL: target } : {}),
    ...(executable.outputFile ? { GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE: executable.outputFile } : {}),
  };
  const { code, output } = await run(executable, env, what);
  if (code !== 0) {
    const said = foreignText(output.trim().slice(0, 300), 200) || 'no output';
    throw new UserError(`${what} exited with ${code ?? 'a signal'} (${said}): run it yourself to see why`);
  }
  let response: unknown;
  let where = `the answer of ${what}`;
  try {
    if (output.trim()) response = JSON.parse(output);
    else if (executable.outputFile) {
      where = `the answer ${what} left in ${executable.outputFile}`;
      response = JSON.parse(readFileSync(executable.outputFile, 'utf8'));
    }
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not JSON' : `cannot be read: ${(error as Error).message}`;
    throw new UserError(`${where} ${reason} (see Google's executable response format)`);
  }
  const reading = readResponse(response, where);
  if ('unusable' in reading) throw new UserError(`${where} ${reading.unusable}: run it yourself to see why`);
  return reading.token;
}
