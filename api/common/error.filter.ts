/**
 * Turns every failure into a clear JSON error: validation → 400, refused decisions → 4xx naming the
 * rule, unknown incidents → 404. Unexpected errors are 500 without internals (no stack traces).
 */
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Request, Response } from 'express';
import { problem, sendProblem } from './problem';
import { PayloadKeyError } from '../../codec/payload-codec';

/** Status for each refusal a workflow validator can raise. */
const FAILURE_STATUS: Record<string, number> = {
  ApprovalNotFound: 404,
  ApprovalAlreadyDecided: 409,
  FourEyesViolation: 403,
  InvolvedPartyRefused: 403,
  DuplicateApprover: 409,
  NotAnApprover: 403,
  IncidentClosed: 409,
  IncidentClosing: 409,
  IncidentBusy: 409,
  DispositionRequired: 400,
  CloseAlreadyRequested: 409,
  AlreadyInScope: 409,
  AlreadyAnswered: 409,
  OutOfScope: 400,
  StreamNotFound: 404,
  TooManyVerifications: 429,
  NotPollDelivery: 400,
};

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    const { status, body } = this.toResponse(err);
    if (status >= 500) this.logger.error(describeError(err));
    const { error, message, ...members } = body;
    sendProblem(
      res,
      problem(
        status,
        typeof error === 'string' ? error : 'Error',
        Array.isArray(message) ? message.join('; ') : String(message ?? ''),
        req,
        members,
      ),
    );
  }

  private toResponse(err: unknown): { status: number; body: Record<string, unknown> } {
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const r = err.getResponse();
      const body = typeof r === 'string' ? { error: err.name, message: r } : (r as Record<string, unknown>);
      if (status === 413) {
        const message = typeof body.message === 'string' ? body.message : 'request body is too large';
        return { status, body: { error: 'PayloadTooLarge', message } };
      }
      return {
        status,
        body: { error: body.error ?? err.name, message: body.message ?? err.message, ...body },
      };
    }
    if (err instanceof WorkflowNotFoundError) {
      return { status: 404, body: { error: 'IncidentNotFound', message: `no incident '${err.workflowId}'` } };
    }
    if (
      err instanceof WorkflowUpdateFailedError &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type
    ) {
      const status = Object.hasOwn(FAILURE_STATUS, err.cause.type)
        ? FAILURE_STATUS[err.cause.type]
        : undefined;
      if (status) return { status, body: { error: err.cause.type, message: err.cause.message } };
    }
    if (err instanceof PayloadKeyError) {
      // A server configuration problem, said plainly: the incident was sealed with a key that is
      // no longer (or not yet) in this engine's PAYLOAD_KEYS.
      return {
        status: 500,
        body: {
          error: 'PayloadKeyUnavailable',
          message: `the incident's stored data cannot be read: ${err.message}`,
        },
      };
    }
    const status =
      (err as { status?: number; statusCode?: number })?.status ??
      (err as { statusCode?: number })?.statusCode;
    if (status === 413)
      return { status, body: { error: 'PayloadTooLarge', message: 'request body is too large' } };
    return {
      status: 500,
      body: { error: 'InternalError', message: 'the engine could not complete the request; see its logs' },
    };
  }
}

/** An unexpected error for the log: name, gRPC code and message of it and its causes (bounded). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (!(e instanceof Error)) {
      parts.push(String(e).slice(0, 300));
      break;
    }
    const code = (e as { code?: unknown }).code;
    parts.push(`${e.name}${code !== undefined ? ` (code ${String(code)})` : ''}: ${e.message.slice(0, 300)}`);
  }
  return parts.join(' <- ');
}
