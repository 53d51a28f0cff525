// The on-demand start's decisions without a process to start: which settings forbid it (daemon/on-demand.ts) and
// when a daemon started on demand leaves (daemon/idle-exit.ts). The start itself runs in the compiled binary
// (test/e2e/agent-on-demand.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_DAEMON_IDLE_S, loadConfig } from '../../src/config.js';
import { onDemandRefusal } from '../../src/daemon/on-demand.js';
import { IdleExit } from '../../src/daemon/idle-exit.js';

const HOME = '/home/u';
const refusal = (env: Record<string, string>) => onDemandRefusal(loadConfig({ HOME, ...env }, 'linux'));
// Under Node, the last check always refuses: past every setting, that is the answer.
const ALLOWED_BY_SETTINGS = 'not the compiled binary';

test('CI set to anything but false or 0 forbids the start', () => {
  for (const value of ['true', '1', 'yes', 'woodpecker', 'TRUE']) assert.is(refusal({ CI: value }), 'CI is set', value);
  for (const value of ['false', 'FALSE', '0', '']) assert.is(refusal({ CI: value }), ALLOWED_BY_SETTINGS, value);
});

test('LANYARD_AGENT=0 and LANYARD_AGENT_AUTOSTART=0 forbid it; other values do not', () => {
  assert.is(refusal({ LANYARD_AGENT: '0' }), 'LANYARD_AGENT=0');
  assert.is(refusal({ LANYARD_AGENT_AUTOSTART: '0' }), 'LANYARD_AGENT_AUTOSTART=0');
  assert.is(refusal({ LANYARD_AGENT: '1', LANYARD_AGENT_AUTOSTART: '1' }), ALLOWED_BY_SETTINGS);
  assert.is(refusal({}), ALLOWED_BY_SETTINGS);
});

test('LANYARD_DAEMON_IDLE_S: 30 min by default; an unusable value keeps it and says so', () => {
  assert.is(loadConfig({ HOME }, 'linux').daemonIdleMs, DEFAULT_DAEMON_IDLE_S * 1000);
  assert.is(DEFAULT_DAEMON_IDLE_S, 1800);
  assert.is(loadConfig({ HOME, LANYARD_DAEMON_IDLE_S: '2.5' }, 'linux').daemonIdleMs, 2500);
  const bad = loadConfig({ HOME, LANYARD_DAEMON_IDLE_S: '0' }, 'linux');
  assert.is(bad.daemonIdleMs, DEFAULT_DAEMON_IDLE_S * 1000);
  assert.match(bad.problems.join('\n'), 'LANYARD_DAEMON_IDLE_S');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the idle exit fires after the idle time, and each use starts the time again', async () => {
  let fired = 0;
  const idle = new IdleExit(300, () => fired++);
  idle.start();
  for (let i = 0; i < 4; i++) {
    await sleep(150);
    idle.used();
  }
  assert.is(fired, 0, 'used every 150 ms: never idle for 300 ms');
  assert.ok(idle.leftMs > 200, `left: ${idle.leftMs} ms`);
  await sleep(600);
  assert.is(fired, 1, 'fired once, after 300 ms without a use');
  assert.is(idle.leftMs, 0);
  idle.stop();
});

test('a stopped idle exit never fires', async () => {
  let fired = 0;
  const idle = new IdleExit(50, () => fired++);
  idle.start();
  idle.stop();
  await sleep(150);
  assert.is(fired, 0);
});

test.run();
