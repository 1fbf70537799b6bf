/**
 * Who is acting and from where: the authenticated caller (AuthGuard), recorded on the incident
 * timeline with the request's address and user agent.
 */
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthedRequest, Caller } from '../auth/auth';
import type { RequestOrigin } from '../../domain/incident';

export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  return ctx.switchToHttp().getRequest<AuthedRequest>().caller?.actor ?? 'anonymous';
});

/** The caller's group and role names (approver routing); empty for a signed source. */
export const Groups = createParamDecorator((_data: unknown, ctx: ExecutionContext): string[] => {
  return ctx.switchToHttp().getRequest<AuthedRequest>().caller?.groups ?? [];
});

/** The authenticated caller (routes that need more than a label: the inbox's `canDecide`). */
export const CallerOf = createParamDecorator((_data: unknown, ctx: ExecutionContext): Caller | undefined => {
  return ctx.switchToHttp().getRequest<AuthedRequest>().caller;
});

export const Origin = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestOrigin => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  const userAgent = req.header('user-agent')?.slice(0, 200);
  return {
    ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    ...(userAgent ? { userAgent } : {}),
    via: req.caller?.via ?? 'dev',
    ...(req.caller ? { actorId: req.caller.id } : {}),
  };
});
