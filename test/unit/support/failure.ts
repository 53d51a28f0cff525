// The one-line failure the project promises for bad input and refusals, as the unit tests check it.
import * as assert from 'uvu/assert';
import type { LanyardError } from '../../../src/errors.js';

/** The promise fails with `type`, one line matching `pattern` and holding none of `secrets`; returns the error. */
export async function failure<T extends LanyardError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
  pattern: RegExp,
  secrets: readonly string[] = [],
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    const message = (error as Error).message;
    assert.instance(error, type, `${(error as Error).name}: ${message}`);
    assert.not.match(message, /\n/, 'one line');
    for (const secret of secrets) assert.not.ok(message.includes(secret), `a secret in: ${message}`);
    assert.match(message, pattern, message);
    return error as T;
  }
  return assert.unreachable(`expected a ${type.name} matching ${pattern}`) as never;
}
