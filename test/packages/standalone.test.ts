import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The local services are packages of their own (docs/decisions/0011): a package imports nothing of
 * the product and only what its package.json declares, and the product reaches a package only by
 * its name, from the composition root (and from tests and benches).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packagesDir = join(root, 'packages');
const packageNames = readdirSync(packagesDir).filter((name) =>
  existsSync(join(packagesDir, name, 'package.json')),
);

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|js|mjs)$/.test(file))
    .map((file) => join(dir, file));
}

const IMPORT =
  /(?:^|[;\s])(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '');
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier);

/** Every import of `files` that breaks the package's boundary, as `file: specifier`. */
function boundaryBreaks(packageDir: string, files: string[], declared: Set<string>): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter((specifier) => {
        if (specifier.startsWith('.'))
          return relative(packageDir, resolve(dirname(file), specifier)).startsWith('..');
        return !isBuiltin(specifier) && !declared.has(packageOf(specifier));
      })
      .map((specifier) => `${relative(root, file)}: ${specifier}`),
  );
}

describe('the local service packages', () => {
  it('are the local Discord, the local Stripe and the mail sink', () => {
    expect(packageNames.sort()).toEqual(['local-discord', 'local-stripe', 'mail-sink']);
  });

  for (const name of packageNames) {
    const packageDir = join(packagesDir, name);
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest;
    const runtime = new Set(Object.keys(manifest.dependencies ?? {}));
    const forTests = new Set([...runtime, ...Object.keys(manifest.devDependencies ?? {})]);

    it(`${name}: its code imports only its own files, Node's modules and its declared dependencies`, () => {
      const files = [...sourceFiles(join(packageDir, 'src')), ...sourceFiles(join(packageDir, 'bin'))];
      expect(files.length).toBeGreaterThan(0);
      expect(boundaryBreaks(packageDir, files, runtime)).toEqual([]);
    });

    it(`${name}: its tests import only the package, Node's modules and its declared (dev) dependencies`, () => {
      const files = sourceFiles(join(packageDir, 'test'));
      expect(files.length).toBeGreaterThan(0);
      expect(boundaryBreaks(packageDir, files, forTests)).toEqual([]);
    });
  }

  it('are reached by the product only by package name, and in src only from the composition root', () => {
    const productFiles = ['src', 'test', 'bench', 'scripts'].flatMap((dir) => sourceFiles(join(root, dir)));
    const wrong = productFiles.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => {
          if (specifier.startsWith('.')) return resolve(dirname(file), specifier).startsWith(packagesDir);
          if (!specifier.startsWith('@rolegate/')) return false;
          const inSrc = relative(join(root, 'src'), file);
          return !inSrc.startsWith('..') && !/^main[/\\]sandbox[^/\\]*\.ts$/.test(inSrc);
        })
        .map((specifier) => `${relative(root, file)}: ${specifier}`),
    );
    expect(wrong).toEqual([]);
  });
});
