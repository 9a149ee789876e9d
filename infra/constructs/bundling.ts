import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { FunctionName } from '../names';

/** Repository root (holds package-lock.json): the esbuild project root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `functions/<name>/handler.ts`, absolute. */
export function handlerEntry(name: FunctionName): string {
  return fileURLToPath(new URL(`../../functions/${name}/handler.ts`, import.meta.url));
}

/** esbuild target: the Lambda runtime every function is deployed to (`nodejs24.x`). */
export const BUNDLE_TARGET = 'node24';

/**
 * ESM has no `require`; a few CommonJS dependencies (Powertools' X-Ray SDK path) still call it, so the
 * bundle defines one. The same text goes into the CDK bundles and the benchmark's bundles.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __yayCreateRequire } from 'node:module'; const require = __yayCreateRequire(import.meta.url);";

/**
 * The Lambda runtime ships AWS SDK v3; bundling it again would only add size and cold-start time.
 * Everything else (Powertools, middy, zod) is bundled so the deploy does not depend on the runtime's copy.
 */
export const EXTERNAL_MODULES = ['@aws-sdk/*'];

/** Options for every NodejsFunction: local esbuild (never Docker), minified ESM with a source map. */
export const lambdaBundling: BundlingOptions = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  target: BUNDLE_TARGET,
  format: OutputFormat.ESM,
  // Prefer ESM entry points so esbuild can tree-shake (Powertools and middy publish both).
  mainFields: ['module', 'main'],
  externalModules: EXTERNAL_MODULES,
  banner: ESM_REQUIRE_BANNER,
};

/**
 * The same build as {@link lambdaBundling}, in esbuild's own option names, for the bundle benchmark
 * (it builds each handler itself to measure size and load time without a CDK synth).
 */
export const esbuildOptions = {
  bundle: true,
  platform: 'node' as const,
  target: BUNDLE_TARGET,
  format: 'esm' as const,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: EXTERNAL_MODULES,
  banner: { js: ESM_REQUIRE_BANNER },
  logLevel: 'warning' as const,
};
