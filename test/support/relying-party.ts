/**
 * A relying party of the test realm, as small as a real one can be: it signs people in with
 * Keycloak (authorization code + PKCE through openid-client), keeps its own sessions (a cookie)
 * and hands out its own refresh tokens (for its API clients). It ends them only when told, in
 * whichever ways it trusts:
 *
 * - OIDC back-channel logout: a logout token from Keycloak, verified against the realm's keys;
 * - Shared Signals (SSF): SETs pushed to it or polled by it, verified against the transmitter's
 *   JWKS, issuer and this receiver's audience;
 * - Global Token Revocation: a request signed by the engine, for exactly this endpoint.
 *
 * Each message that ended something is kept, so tests can see who ended what.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { EVENT_TYPES } from '../../ssf/events';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** The SSF events after which this app ends a user's sessions. */
const ENDS_SESSIONS = new Set<string>([
  EVENT_TYPES['session-revoked'],
  EVENT_TYPES['credential-compromise'],
  EVENT_TYPES['account-disabled'],
]);

interface AppSession {
  sub: string;
  iss: string;
  email?: string;
  /** Keycloak's session id (`sid`), for back-channel logout. */
  idpSid?: string;
}

export interface RelyingPartyOptions {
  /** The realm's issuer, and this app's confidential client there (registered with its URLs). */
  issuer: string;
  client: (urls: { callbackUrl: string; backchannelUrl: string }) => Promise<{ id: string; secret: string }>;
  /** Trust SETs from this transmitter for this audience. */
  ssf?: { issuer: string; jwksUri: string; audience: string };
  /** Accept Global Token Revocation requests signed by this issuer. */
  gtr?: { issuer: string; jwksUri: string };
}

export interface Ended {
  via: 'backchannel-logout' | 'ssf-push' | 'ssf-poll' | 'global-token-revocation';
  sub?: string;
  detail: string;
  sessions: number;
}

export async function startRelyingParty(opts: RelyingPartyOptions) {
  const sessions = new Map<string, AppSession>();
  const refreshTokens = new Map<string, string>(); // token → session id
  const pending = new Map<string, { verifier: string }>(); // state → PKCE verifier
  const known = new Set<string>(); // every sub this app has seen (GTR: 404 for strangers)
  const ended: Ended[] = [];
  const refused: string[] = [];

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      handle(req, body, res).catch((err: Error) => {
        refused.push(err.message);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const callbackUrl = `${url}/callback`;
  const client = await opts.client({ callbackUrl, backchannelUrl: `${url}/backchannel-logout` });
  const config = await oidc.discovery(new URL(opts.issuer), client.id, client.secret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  const idpKeys = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
  const ssfKeys = opts.ssf ? createRemoteJWKSet(new URL(opts.ssf.jwksUri)) : undefined;
  const gtrKeys = opts.gtr ? createRemoteJWKSet(new URL(opts.gtr.jwksUri)) : undefined;

  /** Ends every session (and refresh token) matching `match`; how many. */
  function end(match: (s: AppSession) => boolean): number {
    let n = 0;
    for (const [id, s] of sessions)
      if (match(s)) {
        sessions.delete(id);
        n++;
        for (const [t, sid] of refreshTokens) if (sid === id) refreshTokens.delete(t);
      }
    return n;
  }

  /** An RFC 9493 subject this app understands: the realm's iss_sub, or an e-mail. */
  function matcher(subId: unknown): ((s: AppSession) => boolean) | undefined {
    const s = subId as { format?: string; iss?: string; sub?: string; email?: string; user?: unknown };
    if (s?.format === 'complex') return matcher(s.user);
    if (s?.format === 'iss_sub' && s.iss === opts.issuer && s.sub) return (x) => x.sub === s.sub;
    if (s?.format === 'email' && s.email) return (x) => x.email?.toLowerCase() === s.email!.toLowerCase();
    return undefined;
  }

  /** A SET from the trusted transmitter: ends the subject's sessions for the events that mean it. */
  async function takeSet(token: string, via: 'ssf-push' | 'ssf-poll'): Promise<void> {
    const { payload } = await jwtVerify(token, ssfKeys!, {
      issuer: opts.ssf!.issuer,
      audience: opts.ssf!.audience,
      typ: 'secevent+jwt',
    });
    const [event] = Object.keys((payload.events ?? {}) as object);
    const match = matcher(payload.sub_id);
    if (!ENDS_SESSIONS.has(event) || !match) return;
    const n = end(match);
    ended.push({ via, sub: subOf(payload), detail: event, sessions: n });
  }

  async function handle(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
    const at = new URL(req.url ?? '/', url);
    const json = (status: number, value: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(value));

    if (req.method === 'GET' && at.pathname === '/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      pending.set(state, { verifier });
      const to = oidc.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl,
        scope: 'openid email',
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      return void res.writeHead(302, { location: to.href }).end();
    }
    if (req.method === 'GET' && at.pathname === '/callback') {
      const state = at.searchParams.get('state') ?? '';
      const flow = pending.get(state);
      if (!flow) return json(400, { error: 'unknown state' });
      pending.delete(state);
      const tokens = await oidc.authorizationCodeGrant(config, at, {
        pkceCodeVerifier: flow.verifier,
        expectedState: state,
      });
      const claims = tokens.claims()!;
      const id = randomUUID();
      sessions.set(id, {
        sub: claims.sub,
        iss: claims.iss,
        ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
        ...(typeof claims.sid === 'string' ? { idpSid: claims.sid } : {}),
      });
      known.add(claims.sub);
      const refreshToken = randomUUID();
      refreshTokens.set(refreshToken, id);
      res.setHeader('set-cookie', `app_session=${id}; HttpOnly; Path=/`);
      return json(200, { sub: claims.sub, refreshToken });
    }
    if (req.method === 'GET' && at.pathname === '/me') {
      const id = /(?:^|;\s*)app_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const s = id ? sessions.get(id) : undefined;
      return s ? json(200, { sub: s.sub }) : json(401, { error: 'signed out' });
    }
    if (req.method === 'POST' && at.pathname === '/token') {
      const form = new URLSearchParams(body);
      const id = refreshTokens.get(form.get('refresh_token') ?? '');
      if (form.get('grant_type') !== 'refresh_token' || !id || !sessions.has(id))
        return json(400, { error: 'invalid_grant' });
      return json(200, { access_token: randomUUID(), token_type: 'Bearer', expires_in: 300 });
    }
    if (req.method === 'POST' && at.pathname === '/backchannel-logout') {
      // OIDC Back-Channel Logout 1.0 §2.6: verify, require the event and sid or sub, no nonce.
      const token = new URLSearchParams(body).get('logout_token') ?? '';
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, idpKeys, { issuer: opts.issuer, audience: client.id }));
      } catch (err) {
        refused.push(`logout token: ${(err as Error).message}`);
        return json(400, { error: 'invalid_request' });
      }
      const events = (payload.events ?? {}) as Record<string, unknown>;
      if (!(BACKCHANNEL_EVENT in events) || 'nonce' in payload || (!payload.sid && !payload.sub))
        return json(400, { error: 'invalid_request' });
      const n = end((s) => (payload.sid ? s.idpSid === payload.sid : s.sub === payload.sub));
      ended.push({
        via: 'backchannel-logout',
        sub: payload.sub,
        detail: String(payload.sid ?? ''),
        sessions: n,
      });
      return json(200, {});
    }
    if (req.method === 'POST' && at.pathname === '/ssf/events' && ssfKeys) {
      try {
        await takeSet(body, 'ssf-push');
      } catch (err) {
        refused.push(`SET: ${(err as Error).message}`);
        return json(400, { err: 'invalid_key', description: 'the SET did not verify' });
      }
      return void res.writeHead(202).end();
    }
    if (req.method === 'POST' && at.pathname === '/global-token-revocation' && gtrKeys) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      try {
        await jwtVerify(bearer, gtrKeys, {
          issuer: opts.gtr!.issuer,
          audience: `${url}/global-token-revocation`,
          typ: 'global-token-revocation+jwt',
          requiredClaims: ['exp', 'iat', 'jti'],
        });
      } catch (err) {
        refused.push(`revocation request: ${(err as Error).message}`);
        return json(401, { error: 'invalid_token' });
      }
      const subId = (JSON.parse(body || '{}') as { sub_id?: unknown }).sub_id;
      const match = matcher(subId);
      if (!match) return json(400, { error: 'invalid_request', error_description: 'unsupported subject' });
      const s = subId as { sub?: string };
      if (s.sub && !known.has(s.sub)) return json(404, { error: 'not_found' });
      const n = end(match);
      ended.push({ via: 'global-token-revocation', sub: s.sub, detail: 'revoked', sessions: n });
      return void res.writeHead(204).end();
    }
    json(404, { error: 'not found' });
  }

  return {
    url,
    clientId: client.id,
    callbackUrl,
    loginUrl: `${url}/login`,
    backchannelUrl: `${url}/backchannel-logout`,
    pushUrl: `${url}/ssf/events`,
    gtrUrl: `${url}/global-token-revocation`,
    ended,
    refused,
    /** 200 while the session behind `cookie` lives, 401 after. */
    me: async (cookie: string) => (await fetch(`${url}/me`, { headers: { cookie } })).status,
    /** The app's own refresh grant: 200, or 400 once revoked. */
    refresh: async (refreshToken: string) =>
      (
        await fetch(`${url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        })
      ).status,
    /**
     * One RFC 8936 poll of a transmitter's stream: acknowledges what it took last time, ends
     * sessions for what it gets now. Returns the jtis taken.
     */
    async poll(endpoint: string, token: string, ack: string[] = []): Promise<string[]> {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ack, returnImmediately: true, maxEvents: 20 }),
      });
      if (res.status !== 200) throw new Error(`poll answered ${res.status}`);
      const { sets } = (await res.json()) as { sets: Record<string, string> };
      for (const set of Object.values(sets)) await takeSet(set, 'ssf-poll');
      return Object.keys(sets);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function subOf(p: JWTPayload): string | undefined {
  const s = p.sub_id as { sub?: string; user?: { sub?: string } } | undefined;
  return s?.sub ?? s?.user?.sub;
}

export type RelyingParty = Awaited<ReturnType<typeof startRelyingParty>>;
