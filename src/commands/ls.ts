// `ls`: what is mapped, as a table for people or JSON for scripts. Never shows secrets.
import type { Argv } from 'yargs';
import { readMapping } from '../mapping/mapping-file.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

export function registerLs(cli: Argv): Argv {
  return cli.command(
    'ls',
    'list mapped registries (server, kind, username, store)',
    (y) => y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }).example('$0 ls --json', ''),
    (argv) => {
      const entries = readMapping().entries.map(({ server, serverURL, kind, username, store }) => ({ server, serverURL, kind, username, store }));
      if (argv.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      } else if (entries.length === 0) {
        process.stdout.write('No logins yet. Try: docker login us.icr.io, or docker-credential-lanyard login --help\n');
      } else {
        const rows = entries.map((e) => [e.server, e.kind, e.username, e.store]);
        process.stdout.write(`${table([['SERVER', 'KIND', 'USERNAME', 'STORE'], ...rows])}\n`);
      }
    },
  );
}
