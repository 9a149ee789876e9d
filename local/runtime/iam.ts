/** Local mode's IAM: the functions' roles read from the template, and each denied call printed. */
import type { LocalTemplate } from '../aws/template/types';
import type { LocalConfig } from '../config';
import type { AccessDenial } from '../iam/access';
import { PolicyShapeError } from '../iam/policy';
import { type LocalRole, readLocalRoles } from '../iam/roles';
import { localReferences } from './handler-environment';
import { formatLogLine } from './log-line';
import type { LineSink } from './progress';

/** The functions' roles, or a start that fails naming the policy shape local mode cannot evaluate. */
export function readRoles(template: LocalTemplate, stateMachineArn: string): ReadonlyMap<string, LocalRole> {
  try {
    return readLocalRoles(template.templates, localReferences(stateMachineArn));
  } catch (error) {
    if (!(error instanceof PolicyShapeError)) throw error;
    throw new Error(`local mode cannot enforce the template's IAM policies: ${error.message}`, {
      cause: error,
    });
  }
}

/** A denied call, on the progress log: a green flow never prints one. */
export function printDenial(config: LocalConfig, print: LineSink, denial: AccessDenial): void {
  print(
    formatLogLine(config.logFormat, {
      level: 'WARN',
      message: 'access denied',
      fields: { function: denial.functionName, action: denial.action, resource: denial.resource },
      text: `access denied: ${denial.functionName} may not ${denial.action} on ${denial.resource}`,
    }),
  );
}
