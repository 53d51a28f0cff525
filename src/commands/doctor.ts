// `doctor`: one line per finding, each with its fix; `--json` for scripts. Exit 1 when
// anything failed.
import type { Argv } from 'yargs';
import { UserError } from '../errors.js';
import type { Finding } from '../doctor/finding.js';
import { writeOut } from '../output.js';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export function registerDoctor(cli: Argv): Argv {
  return cli.command(
    'doctor',
    'check the installation, client configs, stores, daemon and every login',
    (y) =>
      y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }).option('offline', {
        type: 'boolean',
        default: false,
        describe: 'skip the checks that contact token services',
      }),
    async (argv) => {
      const [setup, runtime, { mappedRegistries }] = await Promise.all([
        import('../doctor/setup-checks.js'),
        import('../doctor/runtime-checks.js'),
        import('../integrations/mapped-registries.js'),
      ]);
      const { mapping, findings: mappingFindings } = setup.checkMapping();
      const findings: Finding[] = [
        setup.checkOnPath(),
        ...mappingFindings,
        ...setup.checkClientConfigs(mappedRegistries(mapping).registries),
        ...(await setup.checkStores(mapping)),
        ...(await runtime.checkDaemon()),
      ];
      if (!argv.offline) for (const entry of mapping.entries) findings.push(...(await runtime.checkEntry(entry)));
      if (mapping.entries.length === 0)
        findings.push({
          check: 'logins',
          status: 'warn',
          message: 'no logins yet',
          fix: 'docker login REGISTRY, or docker-credential-lanyard login --help',
        });
      if (argv.json) {
        writeOut(`${JSON.stringify(findings, null, 2)}\n`);
      } else {
        for (const f of findings) {
          writeOut(
            `${MARK[f.status]}  ${f.message}${f.ms !== undefined ? ` (${f.ms} ms)` : ''}` +
              `${f.fix ? `\n      fix: ${f.fix}` : ''}\n`,
          );
        }
      }
      const failed = findings.filter((f) => f.status === 'fail').length;
      if (failed) throw new UserError(`${failed} check${failed === 1 ? '' : 's'} failed`);
    },
  );
}
