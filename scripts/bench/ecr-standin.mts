// The AWS STS + ECR stand-in (test/fixtures/aws.ts) as a separate process for bench.mjs, whose spawnSync timing
// loop would block a stand-in living in its own event loop. Takes the access key on the environment; prints the
// variables that point lanyard at it (one JSON line); on SIGUSR2 prints how many ECR tokens it issued so far, on
// SIGTERM the same, then exits.
import { start } from '../../test/fixtures/aws.js';

const { LANYARD_BENCH_AWS_KEY_ID: accessKeyId = '', LANYARD_BENCH_AWS_SECRET: secretAccessKey = '' } = process.env;
const aws = await start({ keys: [{ accessKeyId, secretAccessKey }] });
process.stdout.write(`${JSON.stringify(aws.endpointEnv())}\n`);
process.on('SIGUSR2', () => process.stdout.write(`issued ${aws.counts.ecrTokens}\n`));
process.once('SIGTERM', async () => {
  process.stdout.write(`issued ${aws.counts.ecrTokens}\n`);
  await aws.stop();
  process.exit(0);
});
