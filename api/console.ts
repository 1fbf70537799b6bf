/**
 * The incident console (console/): static files, its configuration (how to sign in) and the OIDC
 * library it runs in the browser, served by the API at /console. The page itself needs no
 * authentication; every call it makes to the API does. A strict Content-Security-Policy: scripts
 * and styles from this origin only, connections to this API and the issuer's token endpoint.
 */
import { Router, static as serveStatic, type NextFunction, type Request, type Response } from 'express';
import { accessSync } from 'node:fs';
import * as path from 'node:path';
import { PHASES } from '../domain/incident';
import type { EngineConfig } from '../config/config';

/** The console's files beside the project: from dist/api (built) or api/ (ts-node, tests). */
function consoleDir(): string {
  const candidates = [
    path.resolve(__dirname, '..', '..', 'console'),
    path.resolve(__dirname, '..', 'console'),
  ];
  return (
    candidates.find((dir) => {
      try {
        accessSync(path.join(dir, 'index.html'));
        return true;
      } catch {
        return false;
      }
    }) ?? candidates[0]
  );
}

export function consoleRouter(config: EngineConfig): Router {
  const router = Router();
  const auth = config.auth;
  const issuer = auth?.mode === 'oidc' ? auth.issuer : undefined;
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${issuer ? ` ${new URL(issuer).origin}` : ''}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  router.get('/config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      auth: auth?.mode === 'oidc' ? 'oidc' : 'dev',
      ...(issuer ? { issuer, clientId: config.consoleClientId } : {}),
      phases: PHASES,
      namespace: config.temporal.namespace,
      ...(config.temporal.uiUrl ? { temporalUi: config.temporal.uiUrl } : {}),
    });
  });
  router.get('/vendor/oauth4webapi.js', (_req, res) => {
    res.type('application/javascript').sendFile(require.resolve('oauth4webapi'));
  });
  router.use(serveStatic(consoleDir(), { index: 'index.html', fallthrough: false }));
  return router;
}
