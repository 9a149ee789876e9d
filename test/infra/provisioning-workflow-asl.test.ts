import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { stateMachineDefinition, synthesized } from './synth';

/** The definition with each `GetAtt:<LogicalId>` a function ARN, as CloudFormation resolves it at deploy. */
function deployedDefinition(): Record<string, unknown> {
  const withArns = (value: unknown): unknown => {
    if (typeof value === 'string' && value.startsWith('GetAtt:')) {
      return `arn:aws:lambda:eu-west-2:000000000000:function:${value.slice('GetAtt:'.length)}`;
    }
    if (Array.isArray(value)) return value.map(withArns);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withArns(inner)]));
  };
  return withArns(stateMachineDefinition(synthesized().provisioning)) as Record<string, unknown>;
}

describe('CustomerProvisioning definition', () => {
  it('is valid Amazon States Language (asl-validator, with paths and ARNs checked) when synthesized', () => {
    const result = aslValidator(deployedDefinition(), { checkPaths: true, checkArn: true });

    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('would fail validation if a state pointed at a state that does not exist', () => {
    const definition = deployedDefinition() as { States: Record<string, Record<string, unknown>> };
    const [name, state] = Object.entries(definition.States).find(([, s]) => typeof s.Next === 'string') ?? [];
    if (!name || !state) throw new Error('no state with a Next in the definition');
    state.Next = 'No such state';

    const result = aslValidator(definition, { checkPaths: true, checkArn: true });

    expect(result.isValid).toBe(false);
    expect(result.errorsText('\n')).toContain('No such state');
  });
});
