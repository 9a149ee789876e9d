import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { synthesizeLocalTemplate } from '../../../local/aws/template/synthesize';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../../local/aws/template/types';
import { LOCAL_EMAIL_CONTEXT } from '../../../local/config';
import { type AccessRequest, type Decision, evaluate, type Statement } from '../../../local/iam/policy';
import { type LocalRole, readLocalRoles } from '../../../local/iam/roles';
import { localReferences } from '../../../local/runtime/handler-environment';

/**
 * Local mode's IAM evaluator (local/iam/policy.ts) against an independent one: @cloud-copilot/iam-simulate,
 * a maintained IAM simulator, decides the same requests over the same roles, read from the template local mode
 * synthesizes (e-mail on, so the SES grants and their conditions are in it).
 * The requests are a grid: every action any role names (and some no role grants) × every resource any role names,
 * made concrete (and some no role names), × the condition keys the template tests. A difference names the role,
 * the request and both decisions.
 */

/** Actions no role should hold, one or more per service the roles use. */
const UNGRANTED_ACTIONS = [
  'dynamodb:DeleteTable',
  'dynamodb:Scan',
  'dynamodb:PartiQLSelect',
  'states:DeleteStateMachine',
  'states:StopExecution',
  'secretsmanager:PutSecretValue',
  'secretsmanager:DeleteSecret',
  'ses:SendRawEmail',
  'ses:DeleteEmailIdentity',
  'events:PutRule',
  'lambda:UpdateFunctionCode',
];

/** Resources no role should reach, by service. */
const FOREIGN_RESOURCES = [
  `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/someone-elses`,
  `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/someone-elses/index/ByDay`,
  `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:someone/elses-AbCdEf`,
  `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:SomeoneElses`,
  `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/someone-elses`,
  `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:identity/someone-else.example`,
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:someone-elses`,
];

/** The statements back as a policy document (conditions as read: operator name → key → values). */
function policyDocument(statements: readonly Statement[]): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: statements.map((statement) => {
      const condition: Record<string, Record<string, string[]>> = {};
      for (const c of statement.conditions) {
        condition[c.operator] = { ...condition[c.operator], [c.key]: [...c.values] };
      }
      return {
        Effect: statement.effect,
        ...(statement.actions
          ? { Action: [...statement.actions] }
          : { NotAction: [...(statement.notActions ?? [])] }),
        ...(statement.resources
          ? { Resource: [...statement.resources] }
          : { NotResource: [...(statement.notResources ?? [])] }),
        ...(statement.conditions.length > 0 ? { Condition: condition } : {}),
      };
    }),
  };
}

/** A pattern made a concrete ARN: each wildcard filled (so `index/*` becomes one index, `secret:x-*` one secret). */
function concrete(pattern: string): string {
  return pattern.replace(/\*/g, 'Sample1').replace(/\?/g, 'Q');
}

const serviceOf = (value: string) =>
  value.startsWith('arn:') ? value.split(':')[2] : value.split(':')[0]?.toLowerCase();

const LIBRARY_RESULT: Record<string, Decision> = {
  Allowed: 'allow',
  ExplicitlyDenied: 'explicitDeny',
  ImplicitlyDenied: 'implicitDeny',
};

/** Both decisions for one request, or the simulator's reason for refusing to decide it. */
async function compare(
  role: LocalRole,
  document: Record<string, unknown>,
  request: AccessRequest,
): Promise<{ ours: Decision; theirs: Decision; request: AccessRequest } | string> {
  const simulated = await runSimulation(
    {
      request: {
        principal: role.sessionArn,
        action: request.action,
        resource: { resource: request.resource, accountId: LOCAL_ACCOUNT },
        contextVariables: Object.fromEntries(
          Object.entries(request.context ?? {}).map(([key, value]) => [
            key,
            typeof value === 'string' ? value : [...value],
          ]),
        ),
      },
      identityPolicies: [{ name: role.logicalId, policy: document }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (simulated.resultType === 'error') return simulated.errors.message;
  if (simulated.resultType !== 'single') return simulated.resultType;
  const theirs = LIBRARY_RESULT[simulated.result.analysis?.result ?? ''];
  if (!theirs) return 'no decision';
  return { ours: evaluate(role.statements, request).decision, theirs, request };
}

describe('local IAM evaluator agrees with @cloud-copilot/iam-simulate on the template roles', () => {
  it('decides every request of the grid as the independent simulator does', async () => {
    const template = await synthesizeLocalTemplate({ ...LOCAL_EMAIL_CONTEXT });
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${template.stateMachineName}`;
    const roles = readLocalRoles(template.templates, localReferences(stateMachineArn));
    expect(roles.size).toBeGreaterThanOrEqual(10);

    const all = [...roles.values()].flatMap((role) => role.statements);
    const actions = new Set<string>(UNGRANTED_ACTIONS);
    const resources = new Set<string>(FOREIGN_RESOURCES);
    const fromAddresses = new Set<string>(['someone@else.example']);
    for (const statement of all) {
      for (const action of statement.actions ?? []) if (!/[*?]/.test(action)) actions.add(action);
      for (const resource of statement.resources ?? [])
        if (resource !== '*') resources.add(concrete(resource));
      for (const condition of statement.conditions)
        if (condition.key === 'ses:fromaddress')
          for (const value of condition.values) fromAddresses.add(value);
    }

    const decisions = { compared: 0, allow: 0, implicitDeny: 0, explicitDeny: 0 };
    const differences: string[] = [];
    const refused: string[] = [];
    for (const role of roles.values()) {
      const document = policyDocument(role.statements);
      for (const action of actions) {
        const service = serviceOf(action);
        // Only AWS's own services are simulated (local mode's unresolved placeholders are not AWS ARNs).
        const targets = [...resources].filter((arn) => serviceOf(arn) === service);
        for (const resource of targets) {
          const contexts: Array<Record<string, string>> =
            service === 'ses' ? [...fromAddresses].map((from) => ({ 'ses:FromAddress': from })) : [{}];
          for (const context of contexts) {
            let compared = await compare(role, document, { action, resource, context });
            // An action IAM authorizes only on `*` (SendTaskSuccess, …): asked as AWS asks it.
            if (compared === 'must.use.wildcard')
              compared = await compare(role, document, { action, resource: '*', context });
            // The simulator refuses an action on a resource type it does not have: not a request AWS sees.
            if (compared === 'no.resource.types') continue;
            if (typeof compared === 'string') {
              refused.push(`${role.functionName}: ${action} on ${resource}: ${compared}`);
              continue;
            }
            const { ours, theirs, request } = compared;
            decisions.compared += 1;
            decisions[ours] += 1;
            if (ours !== theirs)
              differences.push(
                `${role.functionName}: ${request.action} on ${request.resource} ${JSON.stringify(context)} — ours ${ours}, simulator ${theirs}`,
              );
          }
        }
      }
    }

    expect(differences).toEqual([]);
    expect(refused).toEqual([]);
    // The grid really exercised both answers, across many requests.
    expect(decisions.compared).toBeGreaterThan(500);
    expect(decisions.allow).toBeGreaterThan(50);
    expect(decisions.implicitDeny).toBeGreaterThan(50);
    expect(fromAddresses.size).toBeGreaterThan(1);
  }, 120_000);
});
