// Getting a secret into `login` without it ever touching argv: from stdin with
// --password-stdin (trailing newline dropped, as docker does), or typed at a prompt
// with echo off.
import { isatty } from 'node:tty';
import { UserError } from '../errors.js';
import { readStdin } from '../protocol/stdin.js';
import { writeErr } from '../output.js';

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    writeErr(question);
    input.setRawMode(true);
    input.resume();
    let typed = '';
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      writeErr('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new UserError('cancelled'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}

export async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readStdin().replace(/\r?\n$/, '');
  if (!isatty(0)) throw new UserError('give the secret on stdin with --password-stdin (never as an argument)');
  return promptHidden('Secret (input hidden): ');
}
