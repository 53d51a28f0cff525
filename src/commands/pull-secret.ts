// `pull-secret`: Kubernetes pull secrets that the daemon keeps filled with fresh
// short-lived tokens, for clusters where lanyard cannot run on the nodes.
import type { CommandContext } from '../credentials/core-context.js';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { UserError } from '../errors.js';
import { assertSafeEndpoint } from '../http.js';
import { explicitRegistries } from '../integrations/mapped-registries.js';
import { readMapping } from '../mapping/mapping-file.js';
import { INLINE_RETRY } from '../retry.js';
import { readPassword } from './read-password.js';

export function registerPullSecret(cli: Argv, context: CommandContext): Argv {
  return cli.command('pull-secret', 'Kubernetes pull secrets kept up to date by the daemon', (y) =>
    y
      .command(
        'add <name>',
        'keep a kubernetes.io/dockerconfigjson Secret filled with fresh tokens',
        (z) =>
          z
            .positional('name', { type: 'string', describe: 'Secret name' })
            .option('namespace', { type: 'string', demandOption: true })
            .option('registry', { type: 'string', array: true, demandOption: true, describe: 'registries to include' })
            .option('api-server', { type: 'string', demandOption: true, describe: 'Kubernetes API server URL' })
            .option('ca-file', { type: 'string', describe: 'PEM CA bundle for the API server' })
            .option('secret-env', {
              type: 'string',
              describe: 'read the API token from this environment variable at use time',
            })
            .option('password-stdin', {
              type: 'boolean',
              default: false,
              describe: 'read the API token (needs create/update on secrets) from stdin',
            })
            .example(
              'kubectl create token lanyard-sync -n apps | $0 pull-secret add icr --namespace apps ' +
                '--registry us.icr.io --api-server https://k8s.example:6443 --password-stdin',
              '',
            ),
        async (argv) => {
          const apiServer = assertSafeEndpoint(argv['api-server'], '--api-server').toString().replace(/\/$/, '');
          const secretEnv = argv['secret-env'];
          const apiToken = secretEnv !== undefined ? '' : await readPassword(argv['password-stdin']);
          if (secretEnv === undefined && apiToken === '') throw new UserError('the API token is empty');
          const registries = explicitRegistries(argv.registry);
          const { entryFor } = await import('../integrations/pull-secret.js');
          // a registry without a login would fail every sync
          for (const registry of registries) entryFor(context, registry);
          const { addPullSecret } = await import('../integrations/pull-secret-targets.js');
          const target = await addPullSecret(context, {
            name: argv.name!,
            namespace: argv.namespace,
            registries,
            apiServer,
            ...(argv['ca-file'] ? { caFile: resolve(argv['ca-file']) } : {}),
            apiToken,
            secretEnv,
          });
          context.out(
            `the daemon will keep ${target.namespace}/${target.name} up to date (${target.registries.join(', ')})\n`,
          );
        },
      )
      .command('ls', 'configured pull secrets', {}, () => {
        const targets = readMapping(context.config.paths.mappingFile).pullSecrets ?? [];
        if (targets.length === 0) context.out('no pull secrets configured\n');
        for (const t of targets)
          context.out(`${t.namespace}/${t.name}  ${t.registries.join(',')}  ${t.apiServer}  (token in ${t.store})\n`);
      })
      .command(
        'remove <name>',
        'stop maintaining a pull secret (the Secret itself stays in the cluster)',
        (z) => z.positional('name', { type: 'string' }).option('namespace', { type: 'string', demandOption: true }),
        async (argv) => {
          const { removePullSecret } = await import('../integrations/pull-secret-targets.js');
          await removePullSecret(context, argv.namespace, argv.name!);
          context.out(`removed ${argv.namespace}/${argv.name}\n`);
        },
      )
      .command('sync', 'push every configured pull secret now (what the daemon does continuously)', {}, async () => {
        const { syncPullSecret, targetId } = await import('../integrations/pull-secret-sync.js');
        const targets = readMapping(context.config.paths.mappingFile).pullSecrets ?? [];
        if (targets.length === 0) throw new UserError('no pull secrets configured: pull-secret add NAME …');
        for (const target of targets) {
          const result = await syncPullSecret(context, target, INLINE_RETRY);
          context.out(`${targetId(target)}: ${result.action}\n`);
        }
      })
      .demandCommand(1, 'pull-secret needs a subcommand: add, ls, remove or sync'),
  );
}
