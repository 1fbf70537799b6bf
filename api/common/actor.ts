/**
 * Who is acting: the authenticated caller (AuthGuard), recorded on the incident timeline.
 */
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthedRequest } from '../auth/auth';

export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  return ctx.switchToHttp().getRequest<AuthedRequest>().caller?.actor ?? 'anonymous';
});
