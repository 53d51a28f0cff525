// The subject token of an `external_account` file (workload identity federation), from its credential_source as
// google-auth takes it: a file the platform mounts or a URL it serves (plain text, or a JSON field), a command
// (./executable-source.ts) or AWS (./aws-subject-token.ts). The token is what STS trades; it is never shown.
import { ServiceRefusedError, UserError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import type { IssueContext } from '../provider.js';
import { ask, readTokenFile, refused, TOKEN_SERVICE_TIMEOUT_MS } from '../source-io.js';
import type { ExternalAccount, TokenFormat } from './adc-file.js';
import { awsSubjectToken } from './aws-subject-token.js';
import { executableSubjectToken } from './executable-source.js';

/** The token in a source's text: all of it, or one field of its JSON; `fault` builds the error for a bad one. */
function tokenIn(text: string, format: TokenFormat, fault: (problem: string) => Error): string {
  let token: unknown = text;
  if (format.type === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw fault(`is not JSON, and the file's format says json (field ${format.field})`);
    }
    token = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[format.field] : undefined;
    if (token === undefined) throw fault(`has no field ${JSON.stringify(format.field)} (subject_token_field_name)`);
  }
  if (typeof token !== 'string' || !token.trim()) throw fault('holds no subject token (empty, or not a string)');
  registerSecret(token);
  return token;
}

async function urlSubjectToken(source: Extract<ExternalAccount['source'], { kind: 'url' }>, context: IssueContext) {
  const where = `the subject token URL ${source.url.origin}${source.url.pathname}`;
  const hint = 'is the service that issues the workload token running here?';
  const timeoutMs = context.timeoutMs ?? TOKEN_SERVICE_TIMEOUT_MS;
  const answer = await ask(where, source.url, { headers: source.headers, timeoutMs }, hint);
  if (answer.status !== 200) throw refused(where, answer, 'for the subject token');
  return tokenIn(answer.body, source.format, (problem) => {
    return new ServiceRefusedError(where, `answered a body that ${problem}`, { status: 200, permanent: false });
  });
}

/** The subject token an external_account's credential_source gives now; `file` names the ADC file in errors. */
export async function subjectToken(account: ExternalAccount, file: string, context: IssueContext): Promise<string> {
  const { source } = account;
  switch (source.kind) {
    case 'file': {
      const setting = `credential_source.file of ${file}`;
      const text = readTokenFile(source.path, 'subject token file', setting);
      return tokenIn(
        text,
        source.format,
        (problem) => new UserError(`the subject token file ${source.path} ${problem}`),
      );
    }
    case 'url':
      return urlSubjectToken(source, context);
    case 'executable':
      return executableSubjectToken(account, source, file, context.config);
    case 'aws':
      return awsSubjectToken(account, source, file, context);
  }
}
