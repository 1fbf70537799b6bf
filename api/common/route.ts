import type { Request } from 'express';

/** The route pattern a request matched (`/incidents/:id`), never its raw path: ids stay out of labels and span names. */
export function routeOf(req: Request): string | undefined {
  const route = (req as Request & { route?: { path?: unknown } }).route?.path;
  return typeof route === 'string' ? `${req.baseUrl}${route}` : undefined;
}
