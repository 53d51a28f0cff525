// A test file's set-up and tear-down that say which part failed: uvu prints only the first line of an error
// thrown in a hook, and one failing stop must not leave the file's other servers and engines running.

/** Runs a file's set-up; on failure prints the whole error (uvu shows one line) and fails the file. */
export async function setUp(label: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    console.error(`[${label}] setup failed:`, error);
    throw error;
  }
}

/** Stops, in order, what a file started (absent parts are skipped); one failing stop does not keep the rest up. */
export async function stopAll(label: string, stops: Array<[string, (() => unknown) | undefined]>): Promise<void> {
  for (const [what, stop] of stops) {
    try {
      await stop?.();
    } catch (error) {
      console.error(`[${label}] ${what} stop:`, error);
    }
  }
}
