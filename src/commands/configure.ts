// `configure` / `unconfigure`: point docker and podman/buildah/skopeo at lanyard
// without hand-editing JSON.
import type { Argv } from 'yargs';
import { processContext } from '../credentials/core-context.js';
import { UserError } from '../errors.js';
import { explicitRegistries, mappedRegistries } from '../integrations/mapped-registries.js';
import { readMapping } from '../mapping/mapping-file.js';
import type { Plan, ShadowingLogin } from '../integrations/configure-clients.js';
import { writeOut, writeErr } from '../output.js';

async function show(plan: Plan, dryRun: boolean, nothingToDo: string): Promise<void> {
  const { lineDiff } = await import('../integrations/text-diff.js');
  const { redactLogins, renderConfig, saveClientConfig } = await import('../integrations/json-config-file.js');
  if (plan.files.length === 0) {
    writeOut(`nothing to change: ${nothingToDo}\n`);
    return;
  }
  for (const file of plan.files) {
    if (dryRun) {
      const diff = lineDiff(redactLogins(file.loaded.text), redactLogins(file.after));
      writeOut(`--- ${file.loaded.path}${file.loaded.exists ? '' : ' (new file)'}\n${diff.join('\n')}\n`);
    } else {
      const backup = saveClientConfig(
        file.loaded,
        file.after,
        file.backupData && renderConfig(file.loaded, file.backupData),
      );
      writeOut(`updated ${file.loaded.path}${backup ? ` (previous content in ${backup})` : ''}\n`);
    }
  }
}

function warn(shadows: ShadowingLogin[]): void {
  for (const s of shadows) {
    const what = s.login ? `a plaintext login for ${s.login.username}` : 'an empty login';
    const why =
      s.reason === 'shadows'
        ? `podman would use it instead of lanyard for ${s.registry}`
        : 'a secret lying in a plain file';
    writeErr(
      `warning: ${s.file} has auths["${s.authKey}"], ${what}: ${why}; ` +
        `run \`docker-credential-lanyard configure --fix\` to ${s.login ? 'move it into lanyard' : 'remove it'}\n`,
    );
  }
}

async function importShadowedLogins(shadows: ShadowingLogin[]): Promise<void> {
  const { assertStorable, storeCredential } = await import('../credentials/store-credential.js');
  // Every login is checked before any is moved: a refusal halfway would leave the files and lanyard out of step.
  for (const { login, authKey, file } of shadows) {
    try {
      if (login) assertStorable({ serverURL: authKey, username: login.username, secret: login.secret });
    } catch (error) {
      throw new UserError(`auths[${JSON.stringify(authKey)}] in ${file}: ${(error as Error).message}`);
    }
  }
  const mapped = new Map(readMapping().entries.map((e) => [e.server, e.username]));
  for (const shadow of shadows) {
    const from = `auths["${shadow.authKey}"] in ${shadow.file}`;
    if (!shadow.login) {
      writeOut(`removing the empty ${from}\n`);
    } else if (mapped.has(shadow.registry)) {
      // lanyard's own login wins over a copy lying in a file.
      writeOut(
        `removing ${from} (user ${shadow.login.username}): ` +
          `lanyard keeps its own login for ${shadow.registry} (user ${mapped.get(shadow.registry)})\n`,
      );
    } else {
      await storeCredential(processContext(), {
        serverURL: shadow.authKey,
        username: shadow.login.username,
        secret: shadow.login.secret,
      });
      mapped.set(shadow.registry, shadow.login.username);
      writeOut(`moved the login for ${shadow.registry} (user ${shadow.login.username}) from ${from} into lanyard\n`);
    }
  }
}

export function registerConfigure(cli: Argv): Argv {
  return cli
    .command(
      'configure',
      'point docker and podman/buildah/skopeo at lanyard (credHelpers)',
      (y) =>
        y
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
          .example('$0 configure --registry us.icr.io --containers --dry-run', ''),
      async (argv) => {
        const { planConfigure } = await import('../integrations/configure-clients.js');
        const chosen =
          argv.registry?.length && !argv['all-mapped']
            ? { registries: explicitRegistries(argv.registry), unexpanded: [] }
            : mappedRegistries();
        for (const pattern of chosen.unexpanded)
          writeErr(
            `note: the pattern ${pattern} matches no registry lanyard knows by name; ` +
              'add its hosts with --registry HOST\n',
          );
        if (chosen.registries.length === 0)
          throw new UserError(
            'no registries to configure: log in first (docker-credential-lanyard login …) ' +
              'or name them with --registry',
          );
        const plan = planConfigure(chosen.registries, {
          containers: argv.containers,
          fix: argv.fix && !argv['dry-run'],
        });
        if (argv.fix && !argv['dry-run']) await importShadowedLogins(plan.shadows);
        else warn(plan.shadows);
        await show(plan, argv['dry-run'], 'already configured');
      },
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
          planUnconfigure(argv.registry?.length ? explicitRegistries(argv.registry) : undefined),
          argv['dry-run'],
          'lanyard is not configured there',
        );
      },
    );
}
