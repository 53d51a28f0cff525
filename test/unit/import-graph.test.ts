// The layers of src/ stay layers: no folder imports, through any chain, a folder that imports
// it back, and no file does. Each folder under src/ is one node, each top-level file its own.
// Every `import`, `export … from` and `import()` counts, type-only ones too: a layer that
// needs another's types depends on it. `LANYARD_PRINT_GRAPH=1` prints the folder graph for
// docs/ARCHITECTURE.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

type Way = 'static' | 'type' | 'lazy';
interface Edge {
  from: string;
  to: string;
  way: Way;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

const IMPORT_FROM = /^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Our modules a file imports (relative specifiers only), as paths under src/ ending in .ts. */
export function importsOf(file: string, text: string): { to: string; way: Way }[] {
  const found: { spec: string; way: Way }[] = [];
  for (const m of text.matchAll(IMPORT_FROM)) found.push({ spec: m[3], way: m[2] ? 'type' : 'static' });
  for (const m of text.matchAll(BARE_IMPORT)) found.push({ spec: m[1], way: 'static' });
  for (const m of text.matchAll(DYNAMIC_IMPORT)) found.push({ spec: m[1], way: 'lazy' });
  return found
    .filter(({ spec }) => spec.startsWith('.'))
    .map(({ spec, way }) => ({ to: relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'), way }));
}

/** A folder under src/, or a top-level file of src/. */
const nodeOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : path);

export function fileEdges(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    importsOf(file, readFileSync(file, 'utf8')).map(({ to, way }) => ({ from: relative(SRC, file), to, way })),
  );
}

/** Strongly connected components of more than one node (Tarjan), each as a sorted list. */
function cycles(edges: { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    if (!next.has(to)) next.set(to, new Set());
    if (from !== to) next.get(from)!.add(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node)!) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The edges of one cycle, for a message that shows where to cut it. */
function describe(component: string[], edges: Edge[], nodeOfPath: (path: string) => string): string {
  const members = new Set(component);
  const inside = edges.filter(
    (e) => members.has(nodeOfPath(e.from)) && members.has(nodeOfPath(e.to)) && nodeOfPath(e.from) !== nodeOfPath(e.to),
  );
  return `{${component.join(', ')}}: ${inside.map((e) => `${e.from} -> ${e.to}`).join('; ')}`;
}

/** `head` then the items, comma-separated, in lines of at most 120 columns indented under the first. */
function wrapped(head: string, items: string[]): string {
  const lines = [head];
  items.forEach((item, i) => {
    const text = i < items.length - 1 ? `${item},` : item;
    const last = lines.length - 1;
    if (lines[last].length + 1 + text.length > 120) lines.push(`${' '.repeat(head.length)}${text}`);
    else lines[last] += lines[last].endsWith(' ') ? text : ` ${text}`;
  });
  return lines.join('\n');
}

/** `folder -> target, target (lazy), target (types)`: one line per node, for docs/ARCHITECTURE.md. */
export function folderGraph(edges: Edge[]): string {
  const ways = new Map<string, Map<string, Set<Way>>>();
  for (const { from, to, way } of edges) {
    const [a, b] = [nodeOf(from), nodeOf(to)];
    if (a === b) continue;
    if (!ways.has(a)) ways.set(a, new Map());
    const targets = ways.get(a)!;
    if (!targets.has(b)) targets.set(b, new Set());
    targets.get(b)!.add(way);
  }
  const label = (seen: Set<Way>) => (seen.has('static') ? '' : seen.has('lazy') ? ' (lazy)' : ' (types)');
  return [...ways.keys()]
    .sort()
    .map((node) => {
      const targets = [...ways.get(node)!].sort(([a], [b]) => a.localeCompare(b));
      return wrapped(
        `${node} -> `,
        targets.map(([to, seen]) => `${to}${label(seen)}`),
      );
    })
    .join('\n');
}

const edges = fileEdges();

test('every relative import resolves to a file in src/', () => {
  const files = new Set(sourceFiles(SRC).map((f) => relative(SRC, f)));
  assert.ok(edges.length > 100, `found only ${edges.length} imports: the parser is broken`);
  const dangling = edges.filter((e) => !files.has(e.to)).map((e) => `${e.from} -> ${e.to}`);
  assert.equal(dangling, []);
});

test('the parser sees every kind of import', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from './c.js';",
    "import {\n  d,\n  e,\n} from './d.js';",
    "const f = await import('./f.js');",
    "import 'node:fs';",
  ].join('\n');
  const found = importsOf(join(SRC, 'x', 'y.ts'), text);
  assert.equal(found, [
    { to: 'x/a.ts', way: 'static' },
    { to: 'b/b.ts', way: 'type' },
    { to: 'x/c.ts', way: 'static' },
    { to: 'x/d.ts', way: 'static' },
    { to: 'x/f.ts', way: 'lazy' },
  ]);
});

test('no cycle between folders (each top-level file its own node)', () => {
  const folderCycles = cycles(edges.map((e) => ({ from: nodeOf(e.from), to: nodeOf(e.to) })));
  assert.equal(
    folderCycles.map((c) => describe(c, edges, nodeOf)),
    [],
  );
});

test('no cycle between files', () => {
  const fileCycles = cycles(edges);
  assert.equal(
    fileCycles.map((c) => describe(c, edges, (path) => path)),
    [],
  );
});

test('the cycle finder finds a cycle', () => {
  const found = cycles([
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
    { from: 'c', to: 'a' },
    { from: 'c', to: 'd' },
  ]);
  assert.equal(found, [['a', 'b', 'c']]);
});

const ARCHITECTURE = readFileSync(resolve(SRC, '../docs/ARCHITECTURE.md'), 'utf8');

test("docs/ARCHITECTURE.md's folder graph is the one the code has", () => {
  const heading = ARCHITECTURE.indexOf('### Which folder imports which');
  assert.ok(heading >= 0, 'the section is there');
  const block = /```\n([\s\S]*?)\n```/.exec(ARCHITECTURE.slice(heading))?.[1];
  assert.fixture(block ?? '', folderGraph(edges), 'print it with LANYARD_PRINT_GRAPH=1 and paste it');
});

test('docs/ARCHITECTURE.md says what each folder, cloud folder and top-level file of src/ is for', () => {
  const described = new Set([...ARCHITECTURE.matchAll(/^\s*- `([\w./-]+)`:/gm)].map((m) => m[1]!));
  const nodes = new Set(sourceFiles(SRC).map((file) => nodeOf(relative(SRC, file))));
  const clouds = readdirSync(join(SRC, 'clouds'), { withFileTypes: true }).filter((d) => d.isDirectory());
  const expected = [
    ...[...nodes].map((node) => (node.endsWith('.ts') ? node : `${node}/`)),
    ...clouds.map((d) => `clouds/${d.name}/`),
  ].sort();
  assert.equal(
    expected.filter((name) => !described.has(name)),
    [],
    'undescribed',
  );
  const layerNames = [...described].filter((name) => /^[\w-]+(\.ts|\/)$|^clouds\/[\w-]+\/$/.test(name));
  assert.equal(
    layerNames.filter((name) => !expected.includes(name)),
    [],
    'described but not in src/',
  );
});

if (process.env.LANYARD_PRINT_GRAPH === '1') console.log(folderGraph(edges));

test.run();
