/**
 * Who is acting and from where: the authenticated caller (AuthGuard), recorded on the incident
 * timeline with the request's address and user agent.
 */
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthedRequest } from '../auth/auth';
import type { RequestOrigin } from '../../domain/incident';

export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  return ctx.switchToHttp().getRequest<AuthedRequest>().caller?.actor ?? 'anonymous';
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
