// The native front (front/, Go) repeats a few facts of the TypeScript program it fronts: the LANYARD_* settings
// that cannot change an agent hit, the kubelet provider names, and the agent protocol's bounds and deadline. Each
// is read here from both sources, so changing one side without the other fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_AGENT_SECRET_CHARS, MAX_AGENT_USERNAME_CHARS } from '../../src/daemon/agent-answer.js';
import { AGENT_DEADLINE_MS } from '../../src/daemon/agent-client.js';
import { MAX_REQUEST_BYTES } from '../../src/daemon/socket-protocol.js';
import { MAX_INPUT_BYTES } from '../../src/protocol/stdin.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
const go = (file: string) => read(`front/${file}`);

/** A Go integer constant written as a product of literals (`64 * 1024`), evaluated. */
function goConstant(source: string, name: string): number {
  const match = new RegExp(`\\b${name}\\s*=\\s*([0-9* ]+)\\n`).exec(source);
  assert.ok(match, `front/ declares ${name}`);
  return match![1]!.split('*').reduce((product, factor) => product * Number(factor.trim()), 1);
}

test('every setting the front takes as not changing a hit is one src/config.ts reads', () => {
  const block = /var unaffectingSettings = map\[string\]bool\{([^}]*)\}/.exec(go('environment.go'))?.[1] ?? '';
  const names = [...block.matchAll(/"(LANYARD_[A-Z0-9_]+)"/g)].map((m) => m[1]!);
  assert.ok(names.length > 5, 'the list is found');
  const config = read('src/config.ts');
  for (const name of names) assert.ok(config.includes(name), `${name} is a setting of src/config.ts`);
  // These change what a get prints or where its log goes: the front must hand them to lanyard.
  for (const name of ['LANYARD_TRACE', 'LANYARD_AGENT', 'LANYARD_DEBUG', 'LANYARD_LOG_STDERR']) {
    assert.not.ok(names.includes(name), `${name} is not in the front's list`);
  }
});

test('the front hands on the kubelet provider names that src/cli.ts recognises', () => {
  const cli = /const KUBELET_NAME = \/([^/]+)\//.exec(read('src/cli.ts'))?.[1];
  const front = [...go('main.go').matchAll(/strings\.Contains\(base, "([^"]+)"\)/g)].map((m) => m[1]);
  assert.equal(front.join('|'), cli);
});

test("the agent protocol's bounds and deadline are the same on both sides", () => {
  const agent = go('agent.go');
  const answer = go('answer.go');
  assert.is(goConstant(answer, 'maxSecretUnits'), MAX_AGENT_SECRET_CHARS);
  assert.is(goConstant(answer, 'maxUsernameUnits'), MAX_AGENT_USERNAME_CHARS);
  assert.is(goConstant(agent, 'maxRequestBytes'), MAX_REQUEST_BYTES);
  assert.is(goConstant(go('request.go'), 'maxInputBytes'), MAX_INPUT_BYTES);
  assert.match(agent, new RegExp(`agentDeadline = ${AGENT_DEADLINE_MS} \\* time\\.Millisecond`));
});

test.run();
