// `export`: a docker config.json `auths` block or a Kubernetes pull secret with the
// credentials lanyard would hand out right now, for places lanyard cannot run.
import type { Argv } from 'yargs';
import type { CommandContext } from '../credentials/core-context.js';
import { UserError } from '../errors.js';
import { explicitRegistries, mappedRegistries } from '../integrations/mapped-registries.js';
import { readMapping } from '../mapping/mapping-file.js';

export interface ExportOptions {
  format: string;
  registry?: string[];
  name: string;
  namespace: string;
}

export async function runExport(options: ExportOptions, context: CommandContext): Promise<void> {
  const { buildDockerConfig, pullSecretManifest } = await import('../integrations/pull-secret.js');
  const registries = options.registry?.length
    ? explicitRegistries(options.registry)
    : mappedRegistries(readMapping(context.config.paths.mappingFile)).registries;
  if (registries.length === 0)
    throw new UserError('nothing to export: log in first, or name registries with --registry');
  const built = await buildDockerConfig(context, registries);
  for (const registry of built.skipped)
    context.err(`note: ${registry} left out: its identity token cannot go into a pull secret\n`);
  if (built.longLived.length)
    context.err(
      `note: long-lived secrets included for ${built.longLived.join(', ')}: treat the output like a password\n`,
    );
  if (built.expiresAt)
    context.err(
      `note: the tokens expire ${new Date(built.expiresAt).toISOString()}; ` +
        "re-export or use the daemon's pull-secret sync\n",
    );
  const output =
    options.format === 'k8s-secret' ? pullSecretManifest(built.config, options.name, options.namespace) : built.config;
  context.out(`${JSON.stringify(output, null, 2)}\n`);
}

export function registerExport(cli: Argv, context: CommandContext): Argv {
  return cli.command(
    'export',
    'print a dockerconfigjson or a Kubernetes pull secret with fresh short-lived tokens',
    (y) =>
      y
        .option('format', { type: 'string', choices: ['dockerconfigjson', 'k8s-secret'], default: 'dockerconfigjson' })
        .option('registry', {
          type: 'string',
          array: true,
          describe: 'registries to include (default: every mapped one)',
        })
        .option('name', { type: 'string', default: 'lanyard-pull-secret', describe: 'Secret name (k8s-secret)' })
        .option('namespace', { type: 'string', default: 'default', describe: 'Secret namespace (k8s-secret)' })
        .example(
          '$0 export --format k8s-secret --registry us.icr.io --name icr --namespace apps | kubectl apply -f -',
          '',
        ),
    (argv) => runExport(argv, context),
  );
}
