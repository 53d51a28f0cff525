// Shell completions and the man page, made from the CLI's own definitions by running a built
// binary (the host's): yargs writes the bash and zsh scripts (`completion`), and the man page
// is the text of `--help` for the program and for every command and subcommand it lists.
// fish has no yargs script: ours asks the program the same question the bash and zsh ones do.
import { exitText, run } from './run.mjs';

async function output(binary, args, env = {}) {
  const r = await run(binary, args, {
    timeout: 30_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...env },
  });
  if (r.status !== 0) throw new Error(`${binary} ${args.join(' ')}: ${exitText(r)} ${r.stdout}${r.stderr}`.trim());
  return r.stdout;
}

function fishCompletion(name) {
  const fn = `__${name.replace(/-/g, '_')}_complete`;
  return (
    `# fish completion for ${name}: like its bash and zsh scripts, it asks the program (yargs) for the words.\n` +
    `function ${fn}\n` +
    `    SHELL=zsh ${name} --get-yargs-completions (commandline -opc) (commandline -ct) | string replace ':' \\t\n` +
    'end\n' +
    `complete -c ${name} -f -a '(${fn})'\n`
  );
}

/** { bash, zsh, fish } completion scripts for the program `name`, as `binary` prints them. */
export async function completions(binary, name) {
  return {
    bash: await output(binary, ['completion'], { SHELL: '/bin/bash' }),
    zsh: await output(binary, ['completion'], { SHELL: '/bin/zsh' }),
    fish: fishCompletion(name),
  };
}

/** The commands a help text lists, as argument words: `  name daemon status  desc` gives ['daemon', 'status']. */
function listedCommands(help, name, parent) {
  const section = help.split(/^Commands:$/m)[1]?.split(/^\S.*:$/m)[0] ?? '';
  const prefix = [name, ...parent].join(' ');
  return section
    .split('\n')
    .filter((line) => line.startsWith(`  ${prefix} `))
    .map((line) => [...parent, line.slice(prefix.length + 3).split(/\s+/)[0]]);
}

const roffEscape = (text) =>
  text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');

/** A section 1 man page: NAME and SYNOPSIS, then each help text verbatim (yargs lays it out). */
export async function manPage(binary, { name, packageName, version, date }) {
  const top = await output(binary, ['--help']);
  // Each level's helps are asked for at once: a process each, most of it the runtime starting.
  const helpOf = async (words) => {
    const help = await output(binary, [...words, '--help']);
    const below = await Promise.all(listedCommands(help, name, words).map(helpOf));
    return [{ words, help }, ...below.flat()];
  };
  const commands = listedCommands(top, name, []).filter(([word]) => word !== 'completion');
  const sections = (await Promise.all(commands.map(helpOf))).flat();
  const summary = top.split('\n\n')[0].replace(/\s+/g, ' ').replace(`${name}: `, '').replace(/\.$/, '');
  const block = (help) => `.nf\n${roffEscape(help.trimEnd())}\n.fi\n`;
  return (
    `.TH ${name.toUpperCase()} 1 "${date}" "${packageName} ${version}" "User Commands"\n` +
    `.SH NAME\n${roffEscape(name)} \\- ${roffEscape(summary)}\n` +
    `.SH SYNOPSIS\n.B ${roffEscape(name)}\n.RB { store | get | erase | list | version }\n.br\n` +
    `.B ${roffEscape(name)}\n.I command\n.RI [ options ]\n` +
    `.SH DESCRIPTION\n${block(top)}` +
    '.SH COMMANDS\n' +
    sections.map(({ words, help }) => `.SS "${roffEscape(words.join(' '))}"\n${block(help)}`).join('')
  );
}
