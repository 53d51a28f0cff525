// The Azure CLI's login, as the Azure Identity libraries' AzureCliCredential uses it: `az account get-access-token
// --resource https://containerregistry.azure.net --output json`, run without a shell, from /, with a deadline
// and its output capped. What it prints is believed only as a JSON object with a non-empty `accessToken` and an
// expiry: `expires_on` (epoch seconds, az 2.54+) or `expiresOn` (local time, "YYYY-MM-DD HH:MM:SS.ffffff").
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Environment } from '../../config.js';
import { TransportError, UserError } from '../../errors.js';
import { foreignText } from '../../foreign-text.js';
import { Field, parseJson } from '../../validate.js';
import { runBounded } from '../bounded-command.js';
import { epochSeconds, secretField } from '../source-io.js';
import { ACR_RESOURCE, type AzureCredential, credentialFrom } from './entra-grant.js';

/** AzureCliCredential's deadline: az starts a Python interpreter and may refresh its token over the network. */
const CLI_TIMEOUT_MS = 10_000;
/** A token answer is a few kilobytes. */
const CLI_OUTPUT_MAX_BYTES = 64 * 1024;
const COMMAND = 'az account get-access-token';
const WHERE = 'the Azure CLI (az account get-access-token)';

/** Whether `az` is an executable file in a directory of PATH. */
export function cliOnPath(env: Environment): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', 'az'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `expiresOn` as az prints it: this machine's local time without a zone. */
function localTime(value: string | undefined): number {
  const parts = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)?$/.exec(value ?? '');
  if (!parts) return Number.NaN;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [number, ...number[]];
  return new Date(year, month! - 1, day, hour, minute, second).getTime();
}

function parseToken(stdout: string): AzureCredential {
  let token: { accessToken: string; expiresAt: number };
  try {
    const answer = Field.root('az output', parseJson(stdout));
    const expiresOn = epochSeconds(answer.member('expires_on').value);
    token = {
      accessToken: secretField(answer.member('accessToken')),
      expiresAt: Number.isNaN(expiresOn) ? localTime(answer.member('expiresOn').optionalString()) : expiresOn,
    };
  } catch (error) {
    if (!(error instanceof SyntaxError) && !(error instanceof UserError)) throw error;
    throw new UserError(`${WHERE} printed no token (${foreignText(stdout.trim() || 'nothing', 80)}): run it by hand`);
  }
  if (Number.isNaN(token.expiresAt)) throw new UserError(`${WHERE} printed a token without an expiry: update az`);
  return credentialFrom(WHERE, token.accessToken, token.expiresAt, 'the az login');
}

export async function azureCli(env: Environment, options: { timeoutMs?: number } = {}): Promise<AzureCredential> {
  const timeoutMs = options.timeoutMs ?? CLI_TIMEOUT_MS;
  const outcome = await runBounded({
    program: 'az',
    args: ['account', 'get-access-token', '--resource', ACR_RESOURCE, '--output', 'json'],
    env: { ...env, AZURE_CORE_NO_COLOR: 'true' },
    timeoutMs,
    maxBytes: CLI_OUTPUT_MAX_BYTES,
  });
  switch (outcome.kind) {
    case 'missing':
      throw new UserError('the Azure CLI (az) is not on PATH: install it and run az login, or choose another source');
    case 'failed-to-start':
      throw new UserError(`cannot run az: ${foreignText(outcome.reason, 120)}`);
    case 'timed-out':
      throw new TransportError(`${WHERE} did not finish within ${timeoutMs / 1000} s: check that az works here`);
    case 'too-large':
      throw new UserError(`${WHERE} printed more than ${CLI_OUTPUT_MAX_BYTES} bytes: run ${COMMAND} by hand`);
  }
  if (outcome.code !== 0) {
    if (/az login|az account set/.test(outcome.stderr)) {
      throw new UserError('the Azure CLI is not logged in: run az login (or choose another source)');
    }
    const said = outcome.stderr.trim().split(/\r?\n/)[0] || 'nothing on stderr';
    throw new UserError(`${WHERE} failed (exit ${outcome.code ?? 'by signal'}): ${foreignText(said, 200)}`);
  }
  return parseToken(outcome.stdout);
}
