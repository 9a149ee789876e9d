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
 * Nothing is external: the AWS SDK v3 clients are bundled (and tree-shaken) with everything else, as AWS advises
 * for cold starts — a bundle loads faster than the same modules resolved file by file from the runtime's
 * node_modules (`npm run bench -- bundles` measures both), and the deploy pins the SDK version it was tested with.
 */
export const EXTERNAL_MODULES: string[] = [];

/**
 * Options for every NodejsFunction: local esbuild (never Docker), minified CommonJS with a source map. CommonJS,
 * not ESM: an ESM `import` of a Node built-in (`node:http`, which the SDK's HTTP handler needs) builds the module's
 * ESM facade, which reads every export — and `node:http`'s lazy `WebSocket`/`EventSource` getters load undici,
 * 10–20 ms of every cold start for nothing. The sources are still read as ESM (`mainFields`), so tree-shaking works.
 */
export const lambdaBundling: BundlingOptions = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  target: BUNDLE_TARGET,
  format: OutputFormat.CJS,
  // Prefer ESM entry points so esbuild can tree-shake (Powertools, middy and the SDK publish both).
  mainFields: ['module', 'main'],
  externalModules: EXTERNAL_MODULES,
};

/**
 * The same build as {@link lambdaBundling}, in esbuild's own option names, for the bundle benchmark
 * (it builds each handler itself to measure size and load time without a CDK synth).
 */
export const esbuildOptions = {
  bundle: true,
  platform: 'node' as const,
  target: BUNDLE_TARGET,
  format: 'cjs' as const,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: EXTERNAL_MODULES,
  logLevel: 'warning' as const,
};

/**
 * The build these functions had before (issue 3): ESM with the AWS SDK left to the Lambda runtime. The bundle
 * benchmark still builds it, so docs/benchmarks.md can say what bundling the SDK as CommonJS bought, measured side by side.
 */
export const previousEsbuildOptions = {
  ...esbuildOptions,
  format: 'esm' as const,
  external: ['@aws-sdk/*'],
  banner: {
    js: "import { createRequire as __yayCreateRequire } from 'node:module'; const require = __yayCreateRequire(import.meta.url);",
  },
};
