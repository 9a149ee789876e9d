/**
 * `npx cdk synth` / `npx cdk deploy` entry point (cdk.json runs it with tsx). Bundles every Lambda with
 * the local esbuild; context comes from cdk.json and `-c key=value`.
 */
import { buildApp } from './app-factory';

buildApp({ bundle: true }).app.synth();
