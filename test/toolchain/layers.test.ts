import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * One rule per top-level folder, each stated as the imports it refuses. A folder's rule reads that folder's own
 * files; "nothing imports X" rules read every other folder. Package names are checked as written, relative paths
 * resolved from the repository root.
 */
const ROOT = resolve(import.meta.dirname, '../..');

/** Every .ts (and .tsx) file under `dir` (relative to the repository root), recursively. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') || file.endsWith('.tsx'))
    .map((file) => join(dir, file));
}

/** The top-level folders whose sources the rules read (test/ is read as well, for the rules about it). */
const FOLDERS = ['bin', 'infra', 'functions', 'shared', 'local', 'ops', 'console', 'tools', 'test'] as const;

// `import … from '…'`, `import '…'`, `export … from '…'`; never a string that merely follows `export const`.
const STATEMENT = /^(?:import|export)\s+(type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/gm;
// `await import('…')`: local mode loads the CDK app this way.
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

const resolveSpec = (file: string, spec: string) =>
  spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec;

/** What a file imports or re-exports (type-only imports included): the folder rules are about knowing, too. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [
    ...[...text.matchAll(STATEMENT)].map((match) => match[2] as string),
    ...[...text.matchAll(DYNAMIC)].map((match) => match[1] as string),
  ].map((spec) => resolveSpec(file, spec));
}

/** What loading a file runs: its imports less `import type` / `export type` (erased), relative ones as files. */
function loadsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [
    ...[...text.matchAll(STATEMENT)].filter((match) => !match[1]).map((match) => match[2] as string),
    ...[...text.matchAll(DYNAMIC)].map((match) => match[1] as string),
  ].map((spec) => {
    const path = resolveSpec(file, spec);
    if (!spec.startsWith('.')) return path;
    const found = [`${path}.ts`, `${path}.tsx`, `${path}/index.ts`, path].find((candidate) =>
      existsSync(join(ROOT, candidate)),
    );
    return found ?? path;
  });
}

/** Every module (file or package) loading `entry` loads, itself included. */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (module: string) => {
    if (seen.has(module)) return;
    seen.add(module);
    if (/\.tsx?$/.test(module)) for (const next of loadsOf(module)) visit(next);
  };
  visit(entry);
  return seen;
}

/** `file → import` for each import of `files` that `allowed` refuses. */
function violations(files: string[], allowed: (spec: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter((spec) => !allowed(spec))
      .map((spec) => `${file} → ${spec}`),
  );
}

const under = (spec: string, ...folders: string[]) =>
  folders.some((folder) => spec === folder || spec.startsWith(`${folder}/`));

/** Every source outside `folder` (and outside the folders `except` names). */
const allBut = (...folders: string[]) =>
  FOLDERS.filter((folder) => !folders.includes(folder)).flatMap((folder) => sources(folder));

/**
 * What a client of local mode may import from local/ — the ops CLI and the console find a running local mode and
 * read what it left, they never run it:
 * - `local/config`: the `.env` and the variables (and the sandbox's default credentials, from
 *   `local/yay-sandbox/defaults`, which imports types only);
 * - `local/runtime-info`: `runtime.json`, where a running local mode says it listens;
 * - `local/aws/outbox`: the SES stand-in's outbox files (`ops outbox`);
 * - `local/listen`: the one HTTP listen helper (Node's built-ins only, checked below), which the console's own
 *   server uses.
 */
const LOCAL_CLIENT_FACE = ['local/config', 'local/runtime-info', 'local/aws/outbox', 'local/listen'];

/**
 * What local mode reads of infra/, and why — it runs the synthesized template, never a construct:
 * - `infra/app-factory`: the CDK app it synthesizes (loaded when local mode starts, not before);
 * - `infra/config`: the context keys it sets (e-mail sender, store login URL);
 * - `infra/constructs/provisioning-function`: the metadata key that names each function's folder in the template;
 * - `infra/email-templates`: renders the SES templates the template carries, as SES renders them.
 */
const LOCAL_READS_OF_INFRA = [
  'infra/app-factory',
  'infra/config',
  'infra/constructs/provisioning-function',
  'infra/email-templates',
];

describe('layers', () => {
  it('reads the imports it checks: one-line, multi-line, type-only and dynamic, resolved from the root', () => {
    // transfer-credit imports its errors over several lines and its contract types with `import type`.
    expect(importsOf('shared/workflow/transfer-credit.ts')).toEqual(
      expect.arrayContaining([
        'node:crypto',
        'shared/errors',
        'shared/metric-names',
        'shared/workflow/contract',
      ]),
    );
    // local mode loads the CDK app with `await import(…)`.
    expect(importsOf('local/aws/template/synthesize.ts')).toContain('infra/app-factory');
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

  it('use cases see the store only through its ports (a repository or the store that implements them all)', () => {
    const allowed = (spec: string) =>
      !under(spec, 'shared/store') || /^shared\/store\/([a-z-]+-repository|dynamo-store)$/.test(spec);
    expect(violations(sources('shared/workflow'), allowed)).toEqual([]);
  });

  it('the send-once protocol knows no message, and the deployment configuration nothing else of infra/', () => {
    const messages = ['welcome', 'receipt', 'message'].map((name) => `shared/workflow/notify/${name}`);
    expect(violations(['shared/workflow/notify/send-once.ts'], (spec) => !messages.includes(spec))).toEqual(
      [],
    );
    const configOnly = (spec: string) => !under(spec, 'infra') || under(spec, 'infra/config');
    expect(violations(sources('infra/config'), configOnly)).toEqual([]);
  });

  it("the Yay client's request and error modules stand below the client, never importing it", () => {
    const files = ['shared/yay/request.ts', 'shared/yay/call-errors.ts'];
    expect(violations(files, (spec) => spec !== 'shared/yay/client')).toEqual([]);
  });

  it('keeps the name tables free of imports, so naming a metric or a state builds nothing', () => {
    expect(importsOf('shared/metric-names.ts')).toEqual([]);
    expect(importsOf('infra/names.ts')).toEqual([]);
  });

  it('shared/: code the handlers and the tools share imports nothing outside shared/', () => {
    const allowed = (spec: string) => !under(spec, ...FOLDERS.filter((folder) => folder !== 'shared'));
    expect(violations(sources('shared'), allowed)).toEqual([]);
  });

  it('functions/: a handler imports shared/ and its own folder, nothing else of the repository', () => {
    const allowed = (spec: string) =>
      !under(spec, ...FOLDERS.filter((f) => f !== 'shared' && f !== 'functions'));
    expect(violations(sources('functions'), allowed)).toEqual([]);
  });

  it('infra/: what cdk deploy reads never imports local mode, the operator tools, the entry points or tests', () => {
    const allowed = (spec: string) => !under(spec, 'local', 'ops', 'console', 'bin', 'tools', 'test');
    expect(violations(sources('infra'), allowed)).toEqual([]);
  });

  it('local/: local mode never imports ops/ or console/, and reads of infra/ only what runs the template', () => {
    const allowed = (spec: string) =>
      !under(spec, 'ops', 'console', 'bin', 'tools', 'test') &&
      (!under(spec, 'infra') || LOCAL_READS_OF_INFRA.includes(spec));
    expect(violations(sources('local'), allowed)).toEqual([]);
  });

  it('local/listen.ts imports Node built-ins only, so whoever listens through it depends on nothing else', () => {
    expect(importsOf('local/listen.ts').filter((spec) => !spec.startsWith('node:'))).toEqual([]);
  });

  it("ops/: the operator CLI imports shared/ and local mode's client face, never the console or local mode itself", () => {
    const allowed = (spec: string) =>
      !under(spec, 'console', 'bin', 'tools', 'test', 'infra') &&
      (!under(spec, 'local') || LOCAL_CLIENT_FACE.includes(spec));
    expect(violations(sources('ops'), allowed)).toEqual([]);
  });

  it('console/: the console imports shared/, ops/ and the client face of local/, never a browser driver', () => {
    const allowed = (spec: string) =>
      !under(spec, 'bin', 'tools', 'test', 'infra') &&
      (!under(spec, 'local') || LOCAL_CLIENT_FACE.includes(spec)) &&
      spec !== 'playwright-core';
    expect(violations(sources('console'), allowed)).toEqual([]);
  });

  it('bin/: entry points may import anything, and nothing imports an entry point', () => {
    expect(violations(allBut('bin'), (spec) => !under(spec, 'bin'))).toEqual([]);
  });

  it('tools/: tools may import anything but an entry point; only bin/ and test/ import them', () => {
    expect(violations(sources('tools'), (spec) => !under(spec, 'bin'))).toEqual([]);
    expect(violations(allBut('tools', 'bin', 'test'), (spec) => !under(spec, 'tools'))).toEqual([]);
  });

  it("test/: tests may import anything; nothing imports a test but tools/, and it only the providers' samples and the event recorder", () => {
    expect(violations(allBut('test', 'tools'), (spec) => !under(spec, 'test'))).toEqual([]);
    const testHelpers = (spec: string) =>
      !under(spec, 'test') ||
      under(spec, 'test/fixtures') ||
      spec.startsWith('test/shared/workflow/outbound');
    expect(violations(sources('tools'), testHelpers)).toEqual([]);
  });

  it('npm run ops loads neither local mode, the Yay sandbox server, the CDK nor the console', () => {
    const loaded = [...loadedBy('bin/ops.ts')];
    const local = loaded.filter((module) => under(module, 'local'));
    expect(local.length).toBeGreaterThan(0);
    expect(local.filter((module) => !LOCAL_CLIENT_FACE.some((face) => module.startsWith(face)))).toEqual([
      'local/yay-sandbox/defaults.ts',
    ]);
    expect(loaded).not.toContain('local/yay-sandbox/server.ts');
    expect(loaded.filter((module) => /^(aws-cdk-lib|hono|playwright-core)/.test(module))).toEqual([]);
    // Only the deployment's configuration of infra/ (the store fronts and catalog an operator names).
    const infra = loaded.filter((module) => under(module, 'console', 'infra'));
    expect(infra.length).toBeGreaterThan(0);
    expect(infra.filter((module) => !under(module, 'infra/config'))).toEqual([]);
  });

  it('npm run console loads neither local mode, the Yay sandbox server, the CDK nor a browser driver', () => {
    const loaded = [...loadedBy('bin/console.ts')];
    expect(loaded.length).toBeGreaterThan(20);
    expect(loaded).not.toContain('local/yay-sandbox/server.ts');
    expect(
      loaded.filter((module) => under(module, 'local/runtime', 'local/aws/template', 'local/iam')),
    ).toEqual([]);
    expect(loaded.filter((module) => /^(aws-cdk-lib|playwright-core)/.test(module))).toEqual([]);
  });
});
