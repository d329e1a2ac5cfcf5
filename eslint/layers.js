// Local ESLint rules that keep src/ in layers (docs/architecture.md, decision 0012):
// `rolegate/layers` forbids an import going the wrong way, `rolegate/no-cycle` an import that closes a cycle.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const srcDir = join(root, 'src');

/** Layer of a file under src/, by folder. */
export function layerOf(file) {
  const rel = relative(srcDir, file).split(sep).join('/');
  if (rel.startsWith('..')) return null;
  if (rel.startsWith('core/')) return 'core';
  if (rel === 'config.ts' || rel.startsWith('ops/')) return 'base';
  if (rel.startsWith('adapters/store/') || rel.startsWith('adapters/crypto/')) return 'store';
  if (rel.startsWith('adapters/')) return 'adapter';
  if (rel.startsWith('app/')) return 'app';
  if (rel.startsWith('jobs/')) return 'jobs';
  if (rel.startsWith('http/')) return 'http';
  if (rel.startsWith('cli/') || rel.startsWith('main/')) return 'main';
  return 'main';
}

/** What each layer may import (besides itself). `main` (composition root and the CLI) may import anything. */
export const allowed = {
  core: [],
  base: ['core'],
  store: ['core', 'base'],
  app: ['core', 'base', 'store'],
  adapter: ['core', 'base'],
  jobs: ['core', 'base', 'store'],
  http: ['core', 'base', 'store', 'app'],
  main: ['core', 'base', 'store', 'app', 'adapter', 'jobs', 'http'],
};

const importPattern =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function targetOf(from, spec) {
  return resolve(dirname(from), spec).replace(/\.js$/, '.ts');
}

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

let graph = null;
/** Import graph of src/ as it is on disk, built once per ESLint process. */
function diskGraph() {
  if (graph) return graph;
  graph = new Map();
  for (const file of existsSync(srcDir) ? walk(srcDir, []) : []) {
    const deps = new Set();
    for (const m of readFileSync(file, 'utf8').matchAll(importPattern))
      deps.add(targetOf(file, m[1] ?? m[2]));
    graph.set(file, deps);
  }
  return graph;
}

/** Whether `start` reaches `goal` in the disk graph without passing through `goal`'s own edges. */
function reaches(start, goal) {
  const g = diskGraph();
  const seen = new Set([start]);
  const todo = [start];
  while (todo.length) {
    const at = todo.pop();
    if (at === goal) return true;
    for (const next of g.get(at) ?? []) {
      if (next === goal) return true;
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return false;
}

function eachRelativeImport(context, check) {
  const visit = (node) => {
    const spec = node.source?.value;
    if (typeof spec === 'string' && spec.startsWith('.')) check(node, targetOf(context.filename, spec));
  };
  return {
    ImportDeclaration: visit,
    ExportNamedDeclaration: visit,
    ExportAllDeclaration: visit,
    ImportExpression: visit,
  };
}

const layers = {
  meta: {
    type: 'problem',
    messages: { wrong: "A file in '{{from}}' may not import from '{{to}}' ({{path}})." },
  },
  create(context) {
    const from = layerOf(context.filename);
    if (!from) return {};
    const local = (node) => {
      const spec = node.source?.value;
      if (from !== 'main' && typeof spec === 'string' && spec.startsWith('@rolegate/'))
        context.report({ node, messageId: 'wrong', data: { from, to: 'packages', path: spec } });
    };
    const visitors = eachRelativeImport(context, (node, target) => {
      const to = layerOf(target);
      if (!to || to === from || allowed[from].includes(to)) return;
      context.report({ node, messageId: 'wrong', data: { from, to, path: relative(root, target) } });
    });
    const relativeImport = visitors.ImportDeclaration;
    visitors.ImportDeclaration = (node) => {
      local(node);
      relativeImport(node);
    };
    return visitors;
  },
};

const noCycle = {
  meta: {
    type: 'problem',
    messages: { cycle: "This import closes a cycle: '{{path}}' imports this file back." },
  },
  create(context) {
    if (!layerOf(context.filename)) return {};
    const self = resolve(context.filename);
    return eachRelativeImport(context, (node, target) => {
      if (target !== self && reaches(target, self))
        context.report({ node, messageId: 'cycle', data: { path: relative(root, target) } });
    });
  },
};

export default { rules: { layers, 'no-cycle': noCycle } };
