import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractLocalTemplate } from './extract';
import type { CfnTemplate, LocalTemplate } from './types';

/**
 * Synthesizes the CDK app in-process without bundling (the handlers run from source here) into a
 * temporary folder that is removed before returning, and extracts the local template. `context` goes on top
 * of cdk.json's and wins over everything else (local mode merges its layers first: `localSynthContext`).
 */
export async function synthesizeLocalTemplate(
  context?: Record<string, unknown>,
  options: {
    /** Test-only: edits the synthesized provisioning template before it is read (a test removes one grant). */
    readonly amend?: (provisioning: CfnTemplate) => void;
  } = {},
): Promise<LocalTemplate> {
  process.env.CDK_DISABLE_CLI_TELEMETRY = 'true';
  const outdir = mkdtempSync(join(tmpdir(), 'yay-local-synth-'));
  try {
    const { buildApp } = await import('../../../infra/app-factory');
    const built = buildApp({ bundle: false, outdir, ...(context ? { finalContext: context } : {}) });
    const assembly = built.app.synth();
    const provisioning = assembly.getStackArtifact(built.provisioning.artifactId).template as CfnTemplate;
    const stateful = assembly.getStackArtifact(built.stateful.artifactId).template as CfnTemplate;
    options.amend?.(provisioning);
    return extractLocalTemplate(provisioning, [stateful]);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
