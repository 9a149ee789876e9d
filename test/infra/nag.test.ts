import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { acknowledgements, synthesized } from './synth';

const { built, annotations } = synthesized();

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error or warning on the synthesized app', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgement a reason of substance', () => {
    const acks = acknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(30);
    }
  });

  it('acknowledges wildcards only finding by finding, never a whole rule', () => {
    for (const ack of acknowledgements(built.app)) {
      if (/IAM5/.test(ack.id)) expect(ack.id, ack.path).toMatch(/IAM5\[Resource::.+\]$/);
    }
  });

  it('leaves no error or warning annotation on either stack', () => {
    for (const [stack, found] of Object.entries(annotations)) {
      expect(found.findError('*', Match.anyValue()), stack).toEqual([]);
      expect(found.findWarning('*', Match.anyValue()), stack).toEqual([]);
    }
  });
});
