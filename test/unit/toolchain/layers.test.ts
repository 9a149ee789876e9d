import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Every .ts (and .tsx) file under `dir` (relative to the repository root), recursively. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') || file.endsWith('.tsx'))
    .map((file) => join(dir, file));
}

/** What a file imports or re-exports: package names as written, relative paths resolved from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  // `import … from '…'`, `import '…'`, `export … from '…'`; never a string that merely follows `export const`.
  const statement = /^(?:import|export)\s+(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/gm;
  const specifiers = [...text.matchAll(statement)].map((match) => match[1] as string);
  return specifiers.map((spec) =>
    spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec,
  );
}

/** `file → import` for each import of `files` that `allowed` refuses. */
function violations(files: string[], allowed: (spec: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter((spec) => !allowed(spec))
      .map((spec) => `${file} → ${spec}`),
  );
}

describe('layers', () => {
  it('reads the imports it checks: one-line, multi-line and type-only, resolved from the root', () => {
    // transfer-credit imports its errors over several lines and its contract types with `import type`.
    expect(importsOf('shared/workflow/transfer-credit.ts')).toEqual(
      expect.arrayContaining([
        'node:crypto',
        'shared/errors',
        'shared/metric-names',
        'shared/workflow/contract',
      ]),
    );
  });

  it('keeps shared/domain free of anything above it: zod, node and its own siblings, and the error names', () => {
    const allowed = (spec: string) =>
      spec === 'zod' ||
      spec.startsWith('node:') ||
      spec.startsWith('shared/domain/') ||
      spec === 'shared/errors';
    expect(violations(sources('shared/domain'), allowed)).toEqual([]);
  });

  it('keeps shared/store below the workflow: no store module imports a use case, a webhook or the Yay client', () => {
    const above = ['shared/workflow', 'shared/webhooks', 'shared/yay', 'infra', 'functions'];
    const allowed = (spec: string) => !above.some((layer) => spec === layer || spec.startsWith(`${layer}/`));
    expect(violations(sources('shared/store'), allowed)).toEqual([]);
  });

  it('keeps infrastructure out of shared code and handlers', () => {
    const allowed = (spec: string) => !spec.startsWith('infra/');
    expect(violations([...sources('shared'), ...sources('functions')], allowed)).toEqual([]);
  });

  it('keeps the operator console out of shared code and handlers, so hono never reaches a Lambda bundle', () => {
    const allowed = (spec: string) =>
      !spec.startsWith('console/') && !spec.startsWith('hono') && spec !== 'chart.js';
    expect(violations([...sources('shared'), ...sources('functions')], allowed)).toEqual([]);
  });

  it("keeps the console's browser tooling (playwright-core) out of the console server", () => {
    const server = sources('console').filter((file) => !file.startsWith('console/tools/'));
    const allowed = (spec: string) => spec !== 'playwright-core' && !spec.startsWith('console/tools');
    expect(server.length).toBeGreaterThan(5);
    expect(violations(server, allowed)).toEqual([]);
  });

  it('keeps the name tables free of imports, so naming a metric or a state builds nothing', () => {
    expect(importsOf('shared/metric-names.ts')).toEqual([]);
    expect(importsOf('infra/names.ts')).toEqual([]);
  });
});
