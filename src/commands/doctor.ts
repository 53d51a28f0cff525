// `doctor`: one line per finding, each with its fix; `--json` for scripts. Exit 1 when
// anything failed.
import type { Argv } from 'yargs';
import { UserError } from '../errors.js';
import type { Finding } from '../doctor/finding.js';
import type { CommandContext } from '../credentials/core-context.js';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export async function runDoctor(options: { json: boolean; offline: boolean }, context: CommandContext): Promise<void> {
  const [setup, runtime, { mappedRegistries }] = await Promise.all([
    import('../doctor/setup-checks.js'),
    import('../doctor/runtime-checks.js'),
    import('../integrations/mapped-registries.js'),
  ]);
  const { mapping, findings: mappingFindings } = setup.checkMapping(context.config);
  const findings: Finding[] = [
    setup.checkOnPath(context.config),
    ...mappingFindings,
    ...setup.checkClientConfigs(context.config, mappedRegistries(mapping).registries),
    ...(await setup.checkStores(context, mapping)),
    ...(await runtime.checkDaemon(context.config)),
  ];
  if (!options.offline)
    for (const entry of mapping.entries) findings.push(...(await runtime.checkEntry(context, entry)));
  if (mapping.entries.length === 0)
    findings.push({
      check: 'logins',
      status: 'warn',
      message: 'no logins yet',
      fix: 'docker login REGISTRY, or docker-credential-lanyard login --help',
    });
  if (options.json) {
    context.out(`${JSON.stringify(findings, null, 2)}\n`);
  } else {
    for (const f of findings) {
      context.out(
        `${MARK[f.status]}  ${f.message}${f.ms !== undefined ? ` (${f.ms} ms)` : ''}` +
          `${f.fix ? `\n      fix: ${f.fix}` : ''}\n`,
      );
    }
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  if (failed) throw new UserError(`${failed} check${failed === 1 ? '' : 's'} failed`);
}

export function registerDoctor(cli: Argv, context: CommandContext): Argv {
  return cli.command(
    'doctor',
    'check the installation, client configs, stores, daemon and every login',
    (y) =>
      y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }).option('offline', {
        type: 'boolean',
        default: false,
        describe: 'skip the checks that contact token services',
      }),
    (argv) => runDoctor(argv, context),
  );
}
