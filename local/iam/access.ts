/**
 * IAM enforcement for local mode's stand-ins: a call a function makes is checked against that function's role
 * (read from the synthesized template, {@link readLocalRoles}) and denied as AWS denies it. The operator — local
 * mode itself, the tests, the ops CLI, the console — calls without a role and is allowed.
 */
import type { IncomingMessage } from 'node:http';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../aws/template/types';
import { callerOf } from './caller';
import { type AccessRequest, evaluate, type RequestContext } from './policy';
import type { LocalRole } from './roles';

export type { AccessRequest } from './policy';

/** One call a role did not allow. */
export interface AccessDenial {
  readonly functionName: string;
  readonly action: string;
  readonly resource: string;
  /** As AWS words it: `User: <session ARN> is not authorized to perform: <action> on resource: <ARN> because …`. */
  readonly message: string;
}

/**
 * What a stand-in asks before doing a call: the denial of the first request the caller's role does not allow, or
 * undefined when all are allowed (or the caller is the operator).
 */
export type AccessCheck = (
  req: IncomingMessage,
  requests: readonly AccessRequest[],
) => AccessDenial | undefined;

/** The AWS error code of a denial, for every service local mode stands in for. */
export const ACCESS_DENIED = 'AccessDeniedException';

/** The functions' roles, evaluated per call; every denial is kept and told to `onDenied`. */
export class LocalAccess {
  readonly denials: AccessDenial[] = [];
  /** Calls checked, by function (allowed or not): shows enforcement saw them. */
  readonly checked = new Map<string, number>();

  constructor(
    readonly roles: ReadonlyMap<string, LocalRole>,
    private readonly onDenied: (denial: AccessDenial) => void = () => undefined,
  ) {}

  /** The global condition keys of a call made as `role`. */
  private globalContext(role: LocalRole): RequestContext {
    return {
      'aws:PrincipalArn': role.roleArn,
      'aws:PrincipalAccount': LOCAL_ACCOUNT,
      'aws:PrincipalType': 'AssumedRole',
      'aws:RequestedRegion': LOCAL_REGION,
      // Deployed, the SDK speaks HTTPS to AWS; the loopback's plain HTTP is local mode's, not the function's.
      'aws:SecureTransport': 'true',
    };
  }

  /** The denial of the first request `functionName` may not make, or undefined. */
  authorize(functionName: string, requests: readonly AccessRequest[]): AccessDenial | undefined {
    const role = this.roles.get(functionName);
    this.checked.set(functionName, (this.checked.get(functionName) ?? 0) + 1);
    for (const request of requests) {
      let denial: AccessDenial | undefined;
      if (!role) {
        denial = {
          functionName,
          action: request.action,
          resource: request.resource,
          message: `User: ${functionName} is not a function of the template: no role allows ${request.action}`,
        };
      } else {
        const { decision } = evaluate(role.statements, request, {
          ...this.globalContext(role),
          ...request.context,
        });
        if (decision === 'allow') continue;
        const why =
          decision === 'explicitDeny'
            ? 'with an explicit deny in an identity-based policy'
            : `because no identity-based policy allows the ${request.action} action`;
        denial = {
          functionName,
          action: request.action,
          resource: request.resource,
          message: `User: ${role.sessionArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`,
        };
      }
      this.denials.push(denial);
      this.onDenied(denial);
      return denial;
    }
    return undefined;
  }

  /** The {@link AccessCheck} the stand-ins are given: the caller from the request's header. */
  readonly check: AccessCheck = (req, requests) => {
    const caller = callerOf(req);
    return caller === undefined ? undefined : this.authorize(caller, requests);
  };
}
