// `configure` / `unconfigure`: point docker and podman/buildah/skopeo at lanyard
// without hand-editing JSON.
import type { Argv } from 'yargs';
import type { CommandContext } from '../credentials/core-context.js';
import { UserError } from '../errors.js';
import { explicitRegistries, mappedRegistries } from '../integrations/mapped-registries.js';
import { readMapping } from '../mapping/mapping-file.js';
import { AMBIENT_LOGINS } from '../clouds/registry.js';
import type { Plan, ShadowingLogin } from '../integrations/configure-clients.js';

async function show(context: CommandContext, plan: Plan, dryRun: boolean, nothingToDo: string): Promise<void> {
  const { lineDiff } = await import('../integrations/text-diff.js');
  const { redactLogins, renderConfig, saveClientConfig } = await import('../integrations/json-config-file.js');
  if (plan.files.length === 0) {
    context.out(`nothing to change: ${nothingToDo}\n`);
    return;
  }
  for (const file of plan.files) {
    if (dryRun) {
      const diff = lineDiff(redactLogins(file.loaded.text), redactLogins(file.after));
      context.out(`--- ${file.loaded.path}${file.loaded.exists ? '' : ' (new file)'}\n${diff.join('\n')}\n`);
    } else {
      const backup = saveClientConfig(
        file.loaded,
        file.after,
        file.backupData && renderConfig(file.loaded, file.backupData),
      );
      context.out(`updated ${file.loaded.path}${backup ? ` (previous content in ${backup})` : ''}\n`);
    }
  }
}

function warn(context: CommandContext, shadows: ShadowingLogin[]): void {
  for (const s of shadows) {
    const what = s.login ? `a plaintext login for ${s.login.username}` : 'an empty login';
    const why =
      s.reason === 'shadows'
        ? `podman would use it instead of lanyard for ${s.registry}`
        : 'a secret lying in a plain file';
    context.err(
      `warning: ${s.file} has auths["${s.authKey}"], ${what}: ${why}; ` +
        `run \`docker-credential-lanyard configure --fix\` to ${s.login ? 'move it into lanyard' : 'remove it'}\n`,
    );
  }
}

async function importShadowedLogins(context: CommandContext, shadows: ShadowingLogin[]): Promise<void> {
  const { assertStorable, storeCredential } = await import('../credentials/store-credential.js');
  // Every login is checked before any is moved: a refusal halfway would leave the files and lanyard out of step.
  for (const { login, authKey, file } of shadows) {
    try {
      if (login) assertStorable({ serverURL: authKey, username: login.username, secret: login.secret });
    } catch (error) {
      throw new UserError(`auths[${JSON.stringify(authKey)}] in ${file}: ${(error as Error).message}`);
    }
  }
  const mapped = new Map(readMapping(context.config.paths.mappingFile).entries.map((e) => [e.server, e.username]));
  for (const shadow of shadows) {
    const from = `auths["${shadow.authKey}"] in ${shadow.file}`;
    if (!shadow.login) {
      context.out(`removing the empty ${from}\n`);
    } else if (mapped.has(shadow.registry)) {
      // lanyard's own login wins over a copy lying in a file.
      context.out(
        `removing ${from} (user ${shadow.login.username}): ` +
          `lanyard keeps its own login for ${shadow.registry} (user ${mapped.get(shadow.registry)})\n`,
      );
    } else {
      await storeCredential(context, {
        serverURL: shadow.authKey,
        username: shadow.login.username,
        secret: shadow.login.secret,
      });
      mapped.set(shadow.registry, shadow.login.username);
      context.out(`moved the login for ${shadow.registry} (user ${shadow.login.username}) from ${from} into lanyard\n`);
    }
  }
}

/** `--ecr` and its like: map the cloud's every-registry pattern to the environment's identity, checked at pulls. */
async function mapAmbientLogins(context: CommandContext, flags: readonly string[], dryRun: boolean): Promise<void> {
  const { mapAmbientLogin } = await import('../credentials/store-source-login.js');
  for (const ambient of AMBIENT_LOGINS.filter((a) => flags.includes(a.flag))) {
    if (dryRun) {
      context.out(`would map ${ambient.pattern} to the identity the environment proves at each pull\n`);
      continue;
    }
    const given = { serverURL: ambient.pattern, kind: ambient.kind, source: 'auto' as const };
    const mapped = await mapAmbientLogin(context, given);
    context.out(
      mapped
        ? `mapped ${ambient.pattern} to the identity the environment proves at each pull (--source auto)\n`
        : `kept the login already mapped for ${ambient.pattern}\n`,
    );
    context.err(`note: ${ambient.clientNote}\n`);
  }
}

export interface ConfigureOptions {
  /** The flags of `AMBIENT_LOGINS` given (`ecr`). */
  ambient?: string[];
  registry?: string[];
  allMapped: boolean;
  containers: boolean;
  fix: boolean;
  dryRun: boolean;
}

export async function runConfigure(options: ConfigureOptions, context: CommandContext): Promise<void> {
  const { planConfigure } = await import('../integrations/configure-clients.js');
  await mapAmbientLogins(context, options.ambient ?? [], options.dryRun);
  const chosen =
    options.registry?.length && !options.allMapped
      ? { registries: explicitRegistries(options.registry), unexpanded: [] }
      : mappedRegistries(readMapping(context.config.paths.mappingFile));
  for (const pattern of chosen.unexpanded)
    context.err(
      `note: the pattern ${pattern} matches no registry lanyard knows by name; ` +
        'add its hosts with --registry HOST\n',
    );
  if (chosen.registries.length === 0)
    throw new UserError(
      'no registries to configure: log in first (docker-credential-lanyard login …) or name them with --registry',
    );
  const plan = planConfigure(context.config.clientFiles, chosen.registries, {
    containers: options.containers,
    fix: options.fix && !options.dryRun,
  });
  if (options.fix && !options.dryRun) await importShadowedLogins(context, plan.shadows);
  else warn(context, plan.shadows);
  await show(context, plan, options.dryRun, 'already configured');
  // The clients run docker-credential-lanyard from PATH: say so when they will not find it, or find a front without
  // the lanyard it runs (doctor's check).
  const helper = (await import('../doctor/setup-checks.js')).checkOnPath(context.config);
  if (helper.status !== 'ok') context.err(`note: ${helper.message}${helper.fix ? `; ${helper.fix}` : ''}\n`);
}

/** `--ecr` and the like, one boolean flag per cloud with an every-registry login. */
function ambientOptions<T>(y: Argv<T>): Argv<T> {
  return AMBIENT_LOGINS.reduce(
    (argv, ambient) => argv.option(ambient.flag, { type: 'boolean', default: false, describe: ambient.describe }),
    y,
  );
}

export function registerConfigure(cli: Argv, context: CommandContext): Argv {
  return cli
    .command(
      'configure',
      'point docker and podman/buildah/skopeo at lanyard (credHelpers)',
      (y) =>
        ambientOptions(y)
          .option('registry', {
            type: 'string',
            array: true,
            describe: 'registry host to route to lanyard (repeatable)',
          })
          .option('all-mapped', { type: 'boolean', describe: 'every mapped registry (the default without --registry)' })
          .option('containers', {
            type: 'boolean',
            default: false,
            describe: "also write containers' auth.json even where it does not exist yet",
          })
          .option('fix', {
            type: 'boolean',
            default: false,
            describe: 'move shadowing auths entries into lanyard and remove them',
          })
          .option('dry-run', {
            type: 'boolean',
            default: false,
            describe: 'print the changes as a diff, write nothing',
          })
          .example('$0 configure', 'every mapped registry, in ~/.docker/config.json (and auth.json where it exists)')
          .example('$0 configure --registry us.icr.io --containers --dry-run', '')
          .example('$0 configure --ecr', 'every ECR registry from the AWS identity of the environment'),
      (argv) =>
        runConfigure(
          {
            ...argv,
            ambient: AMBIENT_LOGINS.filter((a) => (argv as Record<string, unknown>)[a.flag] === true).map(
              (a) => a.flag,
            ),
            allMapped: argv['all-mapped'] ?? false,
            dryRun: argv['dry-run'],
          },
          context,
        ),
    )
    .command(
      'unconfigure',
      'remove lanyard from credHelpers (and credsStore)',
      (y) =>
        y.option('registry', { type: 'string', array: true, describe: 'only these registries' }).option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'print the changes as a diff, write nothing',
        }),
      async (argv) => {
        const { planUnconfigure } = await import('../integrations/configure-clients.js');
        await show(
          context,
          planUnconfigure(
            context.config.clientFiles,
            argv.registry?.length ? explicitRegistries(argv.registry) : undefined,
          ),
          argv['dry-run'],
          'lanyard is not configured there',
        );
      },
    );
}
