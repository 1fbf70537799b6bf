import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  GTR_JWT_TYPE,
  parseGtrApps,
  requestRevocation,
  revocationStatus,
  signRevocationRequest,
} from './gtr';
import { generateSigningKey } from './set';

describe('GTR_APPS', () => {
  const ok = JSON.stringify([{ name: 'payroll', endpoint: 'https://payroll.example/gtr' }]);
  it('reads apps, iss_sub by default', () => {
    expect(parseGtrApps(ok, 'https://ir.example')).toEqual([
      { name: 'payroll', endpoint: 'https://payroll.example/gtr', subject: 'iss_sub' },
    ]);
    expect(parseGtrApps(undefined, undefined)).toBeUndefined();
  });
  it.each([
    ['not JSON', '{', /not JSON/],
    [
      'plain http off this machine',
      '[{"name":"a","endpoint":"http://10.0.0.1/x"}]',
      /\[0\]\["endpoint"\]: endpoint must be an https URL/,
    ],
    [
      'an unknown subject format',
      '[{"name":"a","endpoint":"https://a.example","subject":"phone"}]',
      /subject/,
    ],
    ['an unknown field', '[{"name":"a","endpoint":"https://a.example","token":"x"}]', /token/],
    [
      'a name twice',
      '[{"name":"a","endpoint":"https://a.example"},{"name":"a","endpoint":"https://b.example"}]',
      /'a' is named twice/,
    ],
    ['an empty list', '[]', /GTR_APPS/],
  ])('refuses %s', (_what, raw, message) => {
    expect(() => parseGtrApps(raw, 'https://ir.example')).toThrow(message);
  });
  it('needs PUBLIC_API_URL (the issuer apps verify)', () => {
    expect(() => parseGtrApps(ok, undefined)).toThrow(/PUBLIC_API_URL/);
  });
});

describe('the revocation request', () => {
  it('is a short-lived JWT for exactly one endpoint, typed apart from SETs', async () => {
    const { key } = await generateSigningKey();
    const { token, jti } = await signRevocationRequest(key, {
      iss: 'https://ir.example',
      aud: 'https://a.example/gtr',
    });
    const jwks = createLocalJWKSet({ keys: [key.publicJwk] });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: 'https://ir.example',
      audience: 'https://a.example/gtr',
      typ: GTR_JWT_TYPE,
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: key.kid });
    expect(payload.jti).toBe(jti);
    expect(payload.exp! - payload.iat!).toBe(300);
    await expect(jwtVerify(token, jwks, { audience: 'https://b.example/gtr' })).rejects.toThrow(/aud/);
    await expect(jwtVerify(token, jwks, { typ: 'secevent+jwt' })).rejects.toThrow(/typ/);
  });

  it.each([
    [204, 'revoked'],
    [200, 'revoked'],
    [404, 'unknown-subject'],
    [422, 'refused'],
    [401, 'refused'],
    [429, undefined],
    [503, undefined],
  ])('reads %i as %s', (status, meaning) => {
    expect(revocationStatus(status)).toBe(meaning);
  });
});

describe('asking an app', () => {
  const seen: { auth?: string; body: string }[] = [];
  let answers: number[] = [];
  const app = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body });
      res.writeHead(answers.shift() ?? 204).end(res.statusCode === 422 ? 'cannot' : '');
    });
  });
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/gtr`;
  });
  afterAll(() => new Promise((r) => app.close(r)));
  beforeEach(() => (seen.length = 0));

  const ask = async (endpoint: string) =>
    requestRevocation({
      app: { name: 'a', endpoint, subject: 'iss_sub' },
      subject: { format: 'iss_sub', iss: 'https://idp.example', sub: 'u1' },
      key: (await generateSigningKey()).key,
      issuer: 'https://ir.example',
      backoffMs: 10,
    });

  it('posts the subject and tries again after a 503', async () => {
    answers = [503, 204];
    const r = await ask(url);
    expect(r).toMatchObject({
      app: 'a',
      status: 'revoked',
      httpStatus: 204,
      attempts: 2,
      subject: 'iss_sub',
    });
    expect(JSON.parse(seen[1].body)).toEqual({
      sub_id: { format: 'iss_sub', iss: 'https://idp.example', sub: 'u1' },
    });
    expect(seen[1].auth).toMatch(/^Bearer ey/);
    // A fresh JWT per try.
    expect(seen[0].auth).not.toBe(seen[1].auth);
  });

  it('records a refusal at once and a dead endpoint after its tries', async () => {
    answers = [422];
    expect(await ask(url)).toMatchObject({ status: 'refused', httpStatus: 422, attempts: 1 });
    answers = [500, 500, 500];
    expect(await ask(url)).toMatchObject({ status: 'failed', httpStatus: 500, attempts: 3 });
    const dead = await ask('http://127.0.0.1:1/gtr');
    expect(dead).toMatchObject({ status: 'failed', attempts: 3 });
    expect(dead.detail).toMatch(/^no answer/);
  });
});
