// What every in-process property is: a target, a generator, a check that lists broken invariants, and how to
// replay an input; and `refusal`, the check every parser shares (a throw is a UserError with a good one-line
// message that leaks no secret).
import type fc from 'fast-check';
import { UserError } from '../../src/errors.js';
import { leakedSecret, messageProblems, problemClass } from './checks.js';

export interface Problem {
  invariant: string;
  detail: string;
}

export interface Property<T> {
  target: string;
  inputClass: string;
  /** Share of the layer's input budget. */
  weight: number;
  arbitrary: fc.Arbitrary<T>;
  check(input: T): Problem[];
  /** How to call it again, for the report. */
  reproduce(input: T): string;
}

/** Calls `action`; a throw must be a UserError with a good one-line message that leaks none of `secrets`. */
export function refusal<T>(action: () => T, secrets: string[] = []): { value?: T; problems: Problem[] } {
  try {
    return { value: action(), problems: [] };
  } catch (error) {
    if (!(error instanceof UserError)) {
      const name = error instanceof Error ? error.constructor.name : typeof error;
      return {
        problems: [
          {
            invariant: `throws ${name}, not a UserError`,
            detail: String((error as Error)?.message ?? error).slice(0, 200),
          },
        ],
      };
    }
    const problems = messageProblems(error.message).map((p) => ({
      invariant: `bad error message (${problemClass(p)})`,
      detail: `${p}: ${JSON.stringify(error.message.slice(0, 200))}`,
    }));
    const leaked = leakedSecret(error.message, secrets);
    if (leaked)
      problems.push({
        invariant: 'error message echoes the secret',
        detail: JSON.stringify(error.message.slice(0, 200)),
      });
    return { problems };
  }
}
