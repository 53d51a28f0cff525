// doctor: is lanyard installed and wired up where clients will find it, and are its own
// files (the mapping, the file store) readable and changeable by the user alone?
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import { describeError } from '../errors.js';
import { HELPER_SUFFIX, helperKeys, inspectClientConfigs } from '../integrations/configure-clients.js';
import { loadClientConfig } from '../integrations/json-config-file.js';
import { folderProblem, othersCanChange, othersCanRead, shellWord, type OwnerProblem } from '../fsutil/owner-only.js';
import { readMappingView } from '../mapping/mapping-file.js';
import type { Mapping, StoredEntry } from '../mapping/types.js';
import type { Config } from '../config.js';
import type { CoreContext } from '../credentials/core-context.js';
import { executableNames, hasPosixModes } from '../platform.js';
import { HELPER_NAME } from '../version.js';
import { fail, ok, warn, type Finding } from './finding.js';
import { checkPair } from './front-pair.js';

/** The pair when this program has its front beside it (a build or release directory), else this program alone. */
function installCommand(): string {
  const front = join(dirname(process.execPath), HELPER_NAME);
  if (basename(process.execPath) === 'lanyard' && existsSync(front)) {
    return `install both, e.g. sudo install -m 0755 ${front} ${process.execPath} /usr/local/bin/`;
  }
  return `install it, e.g. sudo install -m 0755 ${process.execPath} /usr/local/bin/${HELPER_NAME}`;
}

export function checkOnPath(config: Config): Finding {
  const names = executableNames(config.platform, HELPER_NAME);
  for (const dir of (config.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
      } catch {
        continue;
      }
      const pair = checkPair(candidate);
      if (pair.problem) return fail('binary on PATH', pair.problem, pair.fix);
      const partner = pair.lanyard ? ` (the native front; it runs ${pair.lanyard})` : '';
      return ok('binary on PATH', `clients will run ${candidate}${partner}`);
    }
  }
  return fail(
    'binary on PATH',
    `no ${HELPER_NAME} on PATH: docker and podman look the helper up by that name`,
    !hasPosixModes(config.platform)
      ? `copy ${process.execPath} as ${HELPER_NAME}.exe into a folder on PATH`
      : installCommand(),
  );
}

export function checkClientConfigs(config: Config, registries: string[]): Finding[] {
  try {
    return clientConfigFindings(config, registries);
  } catch (error) {
    return [
      fail(
        'client configs',
        describeError(error),
        'repair or remove that file; docker and podman cannot read it either',
      ),
    ];
  }
}

function clientConfigFindings(config: Config, registries: string[]): Finding[] {
  if (registries.length === 0) return [];
  const findings: Finding[] = [];
  const docker = loadClientConfig(config.clientFiles.dockerConfig).data;
  const missing = registries.filter(
    (r) =>
      !helperKeys(r, 'docker').every((k) => docker.credHelpers?.[k] === HELPER_SUFFIX) &&
      docker.credsStore !== HELPER_SUFFIX,
  );
  findings.push(
    missing.length
      ? warn(
          'docker config',
          `${config.clientFiles.dockerConfig} does not send ${missing.join(', ')} to lanyard`,
          'docker-credential-lanyard configure',
        )
      : ok('docker config', `${config.clientFiles.dockerConfig} sends every mapped registry to lanyard`),
  );
  for (const shadow of inspectClientConfigs(config.clientFiles, registries)) {
    findings.push(
      warn(
        'shadowing login',
        `${shadow.file} has auths["${shadow.authKey}"]` +
          (shadow.reason === 'shadows'
            ? `, used by podman instead of lanyard for ${shadow.registry}`
            : ', a plaintext secret'),
        'docker-credential-lanyard configure --fix',
      ),
    );
  }
  return findings;
}

/** Whether someone else could change `file` or its folder; undefined also when there is no file. */
function ownerProblem(file: string): OwnerProblem | undefined {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(file);
  } catch {
    return undefined;
  }
  return othersCanChange(file, stats) ?? folderProblem(file);
}

/** The mapping file: trusted (it decides where secrets go) and readable, entry by entry. Also returns what it maps. */
export function checkMapping(config: Config): { mapping: Mapping; findings: Finding[] } {
  const none: Mapping = { version: 1, entries: [] };
  const untrusted = ownerProblem(config.paths.mappingFile);
  if (untrusted) {
    const message = `${untrusted.problem}, yet it decides where each secret is sent`;
    return { mapping: none, findings: [fail('mapping file', message, untrusted.fix)] };
  }
  try {
    const { mapping, unreadable } = readMappingView(config.paths.mappingFile);
    const findings = unreadable.map((item) =>
      fail(
        'mapping file',
        `${item.problem}; that entry is ignored`,
        `correct or remove it in ${config.paths.mappingFile}`,
      ),
    );
    const state = existsSync(config.paths.mappingFile) ? 'can be changed only by you' : 'does not exist yet';
    if (findings.length === 0) findings.push(ok('mapping file', `${config.paths.mappingFile} ${state}`));
    return { mapping, findings };
  } catch (error) {
    const fix = `repair ${config.paths.mappingFile} or move it aside and log in again`;
    return { mapping: none, findings: [fail('mapping file', describeError(error), fix)] };
  }
}

function secretsFileFinding(config: Config): Finding {
  const file = config.paths.secretsFile;
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return fail('file store', `entries use the file store but ${file} is missing`, 'log in again');
  }
  if (othersCanRead(mode, config.platform))
    return fail('file store', `${file} has mode ${mode.toString(8)}`, `chmod 600 ${shellWord(file)}`);
  const untrusted = ownerProblem(file);
  const protection = !hasPosixModes(config.platform) ? "your profile's ACL" : '0600';
  return untrusted ? fail('file store', untrusted.problem, untrusted.fix) : ok('file store', `${file} (${protection})`);
}

export async function checkStores(context: CoreContext, mapping: Mapping): Promise<Finding[]> {
  const { config } = context;
  const findings: Finding[] = [];
  const used = new Set([...mapping.entries.map((e) => e.store), ...(mapping.pullSecrets ?? []).map((t) => t.store)]);
  if (used.has('keychain')) {
    const started = Date.now();
    try {
      const keychain = await context.openStore('keychain');
      findings.push(
        ((await keychain.reachable?.()) ?? true)
          ? ok('keychain', 'the OS keychain answers and is unlocked', Date.now() - started)
          : fail(
              'keychain',
              'entries live in the keychain but no Secret Service is reachable',
              'start your keyring (gnome-keyring, KeePassXC) or log in to the desktop session',
            ),
      );
    } catch (error) {
      findings.push(fail('keychain', describeError(error)));
    }
  }
  if (used.has('file') || existsSync(config.paths.secretsFile)) findings.push(secretsFileFinding(config));
  for (const entry of mapping.entries.filter((e): e is StoredEntry => e.store === 'env')) {
    if (!config.env[entry.secretRef])
      findings.push(
        warn('env store', `${entry.server} reads its secret from $${entry.secretRef}, which is not set here`),
      );
  }
  return findings;
}
