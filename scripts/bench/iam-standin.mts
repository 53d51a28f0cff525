// The IBM IAM stand-in (test/fixtures/iam.ts) as a separate process for bench.mjs,
// whose spawnSync timing loop would block a stand-in living in its own event loop.
// Prints its URL; on SIGTERM prints how many tokens it issued, then exits.
import { start } from '../../test/fixtures/iam.js';

const iam = await start({ apikeys: [process.env.LANYARD_BENCH_APIKEY ?? ''], tokenLifetimeSeconds: 3600 });
process.stdout.write(`${iam.url}\n`);
process.once('SIGTERM', async () => {
  process.stdout.write(`issued ${iam.counts.issued}\n`);
  await iam.stop();
  process.exit(0);
});
