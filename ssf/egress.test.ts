import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import { ssfActivities } from '../activities/ssf';
import { isPublicAddress, pushFetch, pushTargetRefusal, PushTargetRefused } from './egress';
import { generateSigningKey } from './set';

describe('push targets an SSF receiver may choose', () => {
  it.each([
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.31.255.255', false],
    ['192.168.0.1', false],
    ['169.254.169.254', false], // cloud metadata
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['::', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:7f00:1', false], // how URL writes [::ffff:127.0.0.1]
    ['::ffff:8.8.8.8', true],
    ['fd00::1', false],
    ['fe80::1', false],
    ['2002:7f00:1::', false], // 6to4 of 127.0.0.1
    ['not-an-address', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('refuses, before any connection, what is not a public https host unless the operator listed it', () => {
    expect(pushTargetRefusal('https://rp.example.com/ssf', [])).toBeUndefined();
    expect(pushTargetRefusal('http://rp.example.com/ssf', [])).toMatch(/must be https/);
    expect(pushTargetRefusal('http://127.0.0.1:9/ssf', [])).toMatch(/must be https/);
    expect(pushTargetRefusal('https://127.0.0.1/ssf', [])).toMatch(/127\.0\.0\.1 is not a public address/);
    expect(pushTargetRefusal('https://[::1]/ssf', [])).toMatch(/::1 is not a public address/);
    expect(pushTargetRefusal('https://[::ffff:127.0.0.1]/ssf', [])).toMatch(/not a public address/);
    expect(pushTargetRefusal('https://169.254.169.254/latest', [])).toMatch(/not a public address/);
    expect(pushTargetRefusal('https://localhost/ssf', [])).toMatch(/this machine/);
    expect(pushTargetRefusal('https://a.localhost/ssf', [])).toMatch(/this machine/);
    // Listed exactly: allowed, plain http too (a lab, an internal receiver).
    expect(pushTargetRefusal('http://127.0.0.1:9/ssf', ['127.0.0.1'])).toBeUndefined();
    expect(pushTargetRefusal('https://[::1]/ssf', ['::1'])).toBeUndefined();
    expect(pushTargetRefusal('https://10.0.0.5/ssf', ['10.0.0.6'])).toMatch(/not a public address/);
  });
});

describe('pushFetch', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(202).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('pushes to a listed private host, and to nothing unlisted', async () => {
    const listed = await pushFetch(`http://127.0.0.1:${port}/listed`, { method: 'POST' }, ['127.0.0.1']);
    expect(listed.status).toBe(202);
    await expect(pushFetch(`http://127.0.0.1:${port}/unlisted`, { method: 'POST' }, [])).rejects.toThrow(
      PushTargetRefused,
    );
    expect(received).toEqual(['POST /listed']);
  });

  it('checks the address a name resolves to, at connection time', async () => {
    // This machine's own name resolves to one of its addresses (here 127.0.0.1): not public.
    const name = hostname();
    const addresses = await lookup(name, { all: true });
    expect(addresses.some((a) => !isPublicAddress(a.address))).toBe(true);
    const err = await pushFetch(`https://${name}:${port}/by-name`, { method: 'POST' }, []).catch((e) => e);
    expect(String(err.cause?.message ?? err.message)).toMatch(/not a public address/);
    expect(received).not.toContain('POST /by-name');
  });

  it('makes the delivery activity refuse such an endpoint for good, without retrying', async () => {
    const { key } = await generateSigningKey();
    const deliver = ssfActivities(async () => key, []).deliverSet;
    const input = (endpoint: string) => ({
      streamId: 's',
      endpoint,
      claims: {
        jti: 'j',
        iss: 'https://ir.example',
        aud: 'rp',
        sub_id: { format: 'opaque' as const, id: 'x' },
        events: {},
      },
    });
    for (const endpoint of [`http://127.0.0.1:${port}/x`, `https://${hostname()}:${port}/x`]) {
      const err = await deliver(input(endpoint)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'PushTargetRefused', nonRetryable: true });
    }
    expect(received).toEqual(['POST /listed']);
    // Listed, the same activity delivers.
    const ok = await ssfActivities(async () => key, ['127.0.0.1']).deliverSet(
      input(`http://127.0.0.1:${port}/ok`),
    );
    expect(ok).toEqual({ status: 202 });
  });
});
