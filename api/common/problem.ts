/**
 * RFC 9457 problem details: every error the API answers is `application/problem+json` with
 * `type` (a URN naming the problem), `title`, `status`, `detail` and `instance` (the request path,
 * without its query), plus the engine's `error` (the same name) and `message` (the same detail)
 * that clients of earlier versions read, and any problem-specific members (e.g. the rejected
 * records of an event batch).
 */
import type { Request, Response } from 'express';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'statusCode', 'error', 'message']);

export const PROBLEM_TYPE_PREFIX = 'urn:identity-incident-response:problem:';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  error: string;
  message: string;
  [member: string]: unknown;
}

/** `error` is the problem's name (e.g. `IncidentNotFound`), `message` what is wrong, in words. */
export function problem(
  status: number,
  error: string,
  message: string,
  req?: Pick<Request, 'originalUrl'>,
  members: Record<string, unknown> = {},
): Problem {
  // Nest's own names have spaces ("Not Found"): one word, as the engine's are.
  const compact = error.replace(/\s+/g, '');
  const name = /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(compact) ? compact : 'Error';
  // The standard members are this function's to set; a problem's own members come on top of them.
  const rest = Object.fromEntries(Object.entries(members).filter(([k]) => !RESERVED.has(k)));
  return {
    type: `${PROBLEM_TYPE_PREFIX}${name}`,
    title: name.replace(/([a-z0-9])([A-Z])/g, '$1 $2'),
    status,
    detail: message,
    ...(req ? { instance: req.originalUrl.split('?')[0].slice(0, 200) } : {}),
    ...rest,
    error: name,
    message,
  };
}

export function sendProblem(res: Response, p: Problem): void {
  res.status(p.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}
