/**
 * `npx cdk synth` / `npx cdk deploy` entry point (cdk.json runs it with tsx). Bundles every Lambda with
 * the local esbuild; context comes from cdk.json and `-c key=value`.
 */
import { ConfigInvalid } from '../shared/errors';
import { buildApp } from './app-factory';

try {
  buildApp({ bundle: true }).app.synth();
} catch (error) {
  // A bad context value is the operator's to fix: say which key, without a stack trace to dig through.
  if (!(error instanceof ConfigInvalid)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
