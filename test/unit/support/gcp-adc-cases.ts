// Google ADC files of every type, written into a temporary folder and pointed at loopback stand-ins: the OAuth
// token endpoint, STS and IAM Credentials (test/fixtures/google.ts), the EC2 metadata service
// (test/fixtures/aws-identity.ts) and a subject-token URL server here. Each case says which principal the
// stand-in must have issued the final token to; gcp-adc.test.ts runs lanyard on them, and
// gcp-adc-google-auth.test.ts runs google-auth too.
import { chmodSync, writeFileSync } from 'node:fs';
import type { IssueContext } from '../../../src/clouds/provider.js';
import { gcpProvider } from '../../../src/clouds/gcp/provider.js';
import { credentialFrom } from '../../../src/clouds/sources.js';
import { loadConfig } from '../../../src/config.js';
import type http from 'node:http';
import { join } from 'node:path';
import { AWS_TOKEN_TYPE, JWT_TOKEN_TYPE } from '../../fixtures/google-federation.js';
import * as googleFixture from '../../fixtures/google.js';
import { startImds, type ImdsHandle } from '../../fixtures/aws-identity.js';
import { listen, makeTempDir, removeDir, type Served } from '../../fixtures/support.js';

export const POOL = 'projects/123456789012/locations/global/workloadIdentityPools/ci-pool';
export const OIDC_AUDIENCE = `//iam.googleapis.com/${POOL}/providers/oidc`;
export const AWS_AUDIENCE = `//iam.googleapis.com/${POOL}/providers/aws`;
export const WORKFORCE_POOL = 'locations/global/workforcePools/staff';
export const TARGET_SA = 'registry-reader@lanyard-test.iam.gserviceaccount.com';
export const DELEGATE_SA = 'hop@lanyard-test.iam.gserviceaccount.com';
const HOME = '/home/nobody-lanyard';
const VERIFICATION_URL = 'https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15';
const ROLE_ARN = 'arn:aws:sts::210987654321:assumed-role/lanyard-node-role/i-0123456789abcdef0';
const ENV_ARN = 'arn:aws:iam::210987654321:user/ci';
/** The header the subject-token URL server wants, as Azure's IMDS wants `Metadata: true`. */
const URL_HEADER = { name: 'x-lanyard-test', value: 'subject-please' };

/** What lanyard's gcp-adc source and the gcp provider answer for the ADC file at `path`. */
export async function lanyardToken(path: string, env: Record<string, string> = {}) {
  const config = loadConfig({ HOME, GOOGLE_APPLICATION_CREDENTIALS: path, ...env }, 'linux');
  const context: IssueContext = { config, timeoutMs: 5000 };
  const source = await credentialFrom('gcp-adc', { config, options: {} });
  const entry = { server: 'us-docker.pkg.dev', serverURL: 'us-docker.pkg.dev', kind: 'gcp', username: '' };
  return { source, issued: await gcpProvider.issueFromSource!(entry, source, context) };
}

export interface AdcCase {
  name: string;
  /** The ADC file (GOOGLE_APPLICATION_CREDENTIALS). */
  path: string;
  /** More environment for both lanyard and google-auth. */
  env: Record<string, string>;
  /** Whom the stand-in must have issued the final token to. */
  principal: string;
}

export interface Stage {
  google: googleFixture.GoogleHandle;
  imds: ImdsHandle;
  urlServer: Served & { hits: () => number };
  dir: string;
  /** Writes a file in the stage's folder; returns its path. */
  write(name: string, content: string, mode?: number): string;
  /** An external_account file for the OIDC provider with `credentialSource`, plus `extra` members. */
  oidcFile(name: string, credentialSource: object, extra?: object): string;
  cases(): AdcCase[];
  stop(): Promise<void>;
}

export async function stage(): Promise<Stage> {
  const google = await googleFixture.start();
  const imds = await startImds();
  const dir = makeTempDir('gcp-adc');
  const { federation } = google;
  federation.addProvider(OIDC_AUDIENCE, 'oidc');
  federation.addProvider(AWS_AUDIENCE, 'aws');
  const role = imds.current();
  federation.trustAws({
    accessKeyId: role.AccessKeyId,
    secretAccessKey: role.SecretAccessKey,
    sessionToken: role.Token,
    arn: ROLE_ARN,
  });
  const envKeys = { accessKeyId: 'AKIALANYARDTEST00001', secretAccessKey: 'c2VjcmV0LWZvci1sYW55YXJkLXRlc3Rz' };
  federation.trustAws({ ...envKeys, arn: ENV_ARN });
  let urlHits = 0;
  const urlToken = federation.subjectToken(OIDC_AUDIENCE, 'url-subject');
  const served = await listen((req: http.IncomingMessage, res: http.ServerResponse) => {
    urlHits += 1;
    if (req.headers[URL_HEADER.name] !== URL_HEADER.value) return void res.writeHead(403).end('no header');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: urlToken }));
  });
  const write = (name: string, content: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    return path;
  };
  const oidcFile = (name: string, credentialSource: object, extra: object = {}) =>
    write(
      name,
      JSON.stringify({
        type: 'external_account',
        audience: OIDC_AUDIENCE,
        subject_token_type: JWT_TOKEN_TYPE,
        token_url: google.stsUrl,
        credential_source: credentialSource,
        ...extra,
      }),
    );
  const principal = (subject: string) => federation.principal(OIDC_AUDIENCE, subject);

  function cases(): AdcCase[] {
    const key = google.makeServiceAccountKey({ email: 'ci-key@lanyard-test.iam.gserviceaccount.com' });
    const user = google.makeAuthorizedUser();
    federation.addServiceAccount(TARGET_SA, [principal('impersonator'), `user:${user.client_id}`, DELEGATE_SA]);
    federation.addServiceAccount(DELEGATE_SA, [key.client_email]);
    const textToken = write('oidc-text.jwt', federation.subjectToken(OIDC_AUDIENCE, 'file-text-subject'));
    const jsonToken = write(
      'oidc.json',
      JSON.stringify({ id_token: federation.subjectToken(OIDC_AUDIENCE, 'file-json-subject') }),
    );
    const impersonatorToken = write('impersonator.jwt', federation.subjectToken(OIDC_AUDIENCE, 'impersonator'));
    const response = {
      version: 1,
      success: true,
      token_type: 'urn:ietf:params:oauth:token-type:id_token',
      id_token: federation.subjectToken(OIDC_AUDIENCE, 'executable-subject'),
      expiration_time: Math.floor(Date.now() / 1000) + 3600,
    };
    // The script checks what google-auth promises a command in its environment before answering.
    const script = write(
      'subject-token.sh',
      '#!/bin/sh\n' +
        `[ "$GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE" = "${OIDC_AUDIENCE}" ] || { echo "wrong audience"; exit 3; }\n` +
        '[ "$GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE" = "0" ] || exit 4\n' +
        `printf '%s' '${JSON.stringify(response)}'\n`,
      0o700,
    );
    const aws = (name: string, source: object) =>
      write(
        name,
        JSON.stringify({
          type: 'external_account',
          audience: AWS_AUDIENCE,
          subject_token_type: AWS_TOKEN_TYPE,
          token_url: google.stsUrl,
          credential_source: { environment_id: 'aws1', regional_cred_verification_url: VERIFICATION_URL, ...source },
        }),
      );
    const clientId = 'workforce-client';
    google.federation.addClient(clientId, 'workforce-secret');
    const refreshToken = federation.addWorkforceUser(clientId, WORKFORCE_POOL, 'alice@example.com');
    const delegate = `projects/-/serviceAccounts/${DELEGATE_SA}`;
    return [
      { name: 'service_account', path: write('sa.json', JSON.stringify(key)), env: {}, principal: key.client_email },
      {
        name: 'authorized_user',
        path: write('user.json', JSON.stringify(user)),
        env: {},
        principal: `user:${user.client_id}`,
      },
      {
        name: 'external_account file (text)',
        path: oidcFile('wif-file-text.json', { file: textToken }),
        env: {},
        principal: principal('file-text-subject'),
      },
      {
        name: 'external_account file (json)',
        path: oidcFile('wif-file-json.json', {
          file: jsonToken,
          format: { type: 'json', subject_token_field_name: 'id_token' },
        }),
        env: {},
        principal: principal('file-json-subject'),
      },
      {
        name: 'external_account url (json, headers)',
        path: oidcFile('wif-url.json', {
          url: `${served.url}/token`,
          headers: { [URL_HEADER.name]: URL_HEADER.value },
          format: { type: 'json', subject_token_field_name: 'token' },
        }),
        env: {},
        principal: principal('url-subject'),
      },
      {
        name: 'external_account executable',
        path: oidcFile('wif-exec.json', { executable: { command: `${script} --flag`, timeout_millis: 10_000 } }),
        env: { GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES: '1' },
        principal: principal('executable-subject'),
      },
      {
        name: 'external_account aws1 (IMDSv2)',
        path: aws('wif-aws-imds.json', {
          region_url: `${imds.url}/latest/meta-data/placement/availability-zone`,
          url: `${imds.url}/latest/meta-data/iam/security-credentials`,
          imdsv2_session_token_url: `${imds.url}/latest/api/token`,
        }),
        env: {},
        principal: federation.principal(AWS_AUDIENCE, ROLE_ARN),
      },
      {
        name: 'external_account aws1 (environment keys)',
        path: aws('wif-aws-env.json', {}),
        env: {
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: envKeys.accessKeyId,
          AWS_SECRET_ACCESS_KEY: envKeys.secretAccessKey,
        },
        principal: federation.principal(AWS_AUDIENCE, ENV_ARN),
      },
      {
        name: 'external_account + impersonation',
        path: oidcFile(
          'wif-impersonate.json',
          { file: impersonatorToken },
          { service_account_impersonation_url: google.iamUrl(TARGET_SA) },
        ),
        env: {},
        principal: TARGET_SA,
      },
      {
        name: 'external_account_authorized_user',
        path: write(
          'workforce-user.json',
          JSON.stringify({
            type: 'external_account_authorized_user',
            audience: `//iam.googleapis.com/${WORKFORCE_POOL}/providers/idp`,
            refresh_token: refreshToken,
            token_url: `${google.url}/v1/oauth/token`,
            token_info_url: `${google.url}/v1/introspect`,
            client_id: clientId,
            client_secret: 'workforce-secret',
          }),
        ),
        env: {},
        principal: `principal://iam.googleapis.com/${WORKFORCE_POOL}/subject/alice@example.com`,
      },
      {
        name: 'impersonated_service_account (authorized_user source)',
        path: write(
          'impersonated-user.json',
          JSON.stringify({
            type: 'impersonated_service_account',
            service_account_impersonation_url: google.iamUrl(TARGET_SA),
            source_credentials: user,
            delegates: [],
          }),
        ),
        env: {},
        principal: TARGET_SA,
      },
      {
        name: 'impersonated_service_account (key source, delegates)',
        path: write(
          'impersonated-key.json',
          JSON.stringify({
            type: 'impersonated_service_account',
            service_account_impersonation_url: google.iamUrl(TARGET_SA),
            source_credentials: key,
            delegates: [delegate],
          }),
        ),
        env: {},
        principal: TARGET_SA,
      },
    ];
  }

  return {
    google,
    imds,
    urlServer: { ...served, hits: () => urlHits },
    dir,
    write,
    oidcFile,
    cases,
    async stop() {
      await Promise.all([google.stop(), imds.stop(), served.stop()]);
      removeDir(dir);
    },
  };
}
