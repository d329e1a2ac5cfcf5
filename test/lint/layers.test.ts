import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rules of eslint.config.js (decision 0012) run on source text placed at a path in src/:
// each wrong-way import, cycle or query outside a store module must be reported, and the right way not.
const eslint = new ESLint({ cwd: resolve(import.meta.dirname, '../..') });

async function problems(path: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: resolve(import.meta.dirname, '../..', path) });
  return (result?.messages ?? []).map((m) => `${m.severity === 2 ? 'error' : 'warn'} ${m.ruleId}`);
}

describe('layer lint', () => {
  it('fails core importing from app', async () => {
    const code = "import type { AppContext } from '../app/shared/context.js';\nexport type X = AppContext;\n";
    expect(await problems('src/core/wrong-way.ts', code)).toContain('error rolegate/layers');
  });

  it('fails app importing the worker, HTTP or an outside adapter', async () => {
    for (const spec of ['../../jobs/worker.js', '../../http/server.js', '../../adapters/discord/rest.js']) {
      const code = `import * as m from '${spec}';\nexport const x = m;\n`;
      expect(await problems('src/app/grants/wrong-way.ts', code)).toContain('error rolegate/layers');
    }
  });

  it('fails the product importing a local service outside the composition root', async () => {
    const code = "import * as d from '@rolegate/local-discord';\nexport const x = d;\n";
    expect(await problems('src/app/access/wrong-way.ts', code)).toContain('error rolegate/layers');
    expect(await problems('src/main/right-way.ts', code)).not.toContain('error rolegate/layers');
  });

  it('fails an import that closes a cycle', async () => {
    // src/app/access/servers.ts imports shared/services.ts; services importing servers closes a loop.
    const code = "import { loadServer } from '../access/servers.js';\nexport const x = loadServer;\n";
    expect(await problems('src/app/shared/services.ts', code)).toContain('error rolegate/no-cycle');
  });

  it('accepts imports that go inward', async () => {
    const code =
      "import { AppError } from '../../core/errors.js';\nimport { requireDiscord } from '../shared/services.js';\nexport const x = [AppError, requireDiscord];\n";
    expect(await problems('src/app/access/right-way.ts', code)).toEqual([]);
  });

  it('flags query-builder calls outside store modules, and not inside them', async () => {
    const code = "export const q = (db: any) => db.selectFrom('grants').selectAll().execute();\n";
    const clean = (list: string[]) => list.filter((p) => !p.includes('no-explicit-any'));
    expect(clean(await problems('src/app/grants/use-case.ts', code))).toContain('error no-restricted-syntax');
    expect(clean(await problems('src/app/grants/store.ts', code))).toEqual([]);
    expect(clean(await problems('src/app/dashboard/store/jobs.ts', code))).toEqual([]);
  });

  it('fails a file over 400 lines and a function over 80', async () => {
    const body = Array.from({ length: 81 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const fn = `export function long() {\n${body}\n  return v0;\n}\n`;
    expect(await problems('src/core/long.ts', fn)).toContain('error max-lines-per-function');
    const lines = Array.from({ length: 401 }, (_, i) => `export const c${i} = ${i};`).join('\n');
    expect(await problems('src/core/big.ts', lines)).toContain('error max-lines');
  });
});
