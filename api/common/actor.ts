/**
 * Who is acting. Until authentication lands this comes from the X-Actor header, which every
 * state-changing call must carry; it is recorded on the incident timeline.
 */
import { BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

const ACTOR = /^[A-Za-z0-9@._+-]{1,100}$/;

export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const value = ctx.switchToHttp().getRequest<Request>().header('x-actor');
  if (!value)
    throw new BadRequestException({
      error: 'BadRequest',
      message: 'X-Actor header is required (who is acting)',
    });
  if (!ACTOR.test(value)) {
    throw new BadRequestException({
      error: 'BadRequest',
      message: 'X-Actor: 1-100 letters, digits, @ . _ + -',
    });
  }
  return value;
});
