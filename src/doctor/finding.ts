// One line of `doctor` output: what was checked, how it went, and the fix.
export type Status = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  status: Status;
  message: string;
  fix?: string;
  ms?: number;
}

export const ok = (check: string, message: string, ms?: number): Finding => ({
  check,
  status: 'ok',
  message,
  ...(ms !== undefined ? { ms } : {}),
});
export const warn = (check: string, message: string, fix?: string): Finding => ({
  check,
  status: 'warn',
  message,
  ...(fix ? { fix } : {}),
});
export const fail = (check: string, message: string, fix?: string): Finding => ({
  check,
  status: 'fail',
  message,
  ...(fix ? { fix } : {}),
});
