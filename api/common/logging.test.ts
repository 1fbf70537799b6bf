import express from 'express';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../telemetry/log';
import { requestLogging } from './logging';

async function serve(lines: string[]) {
  const log = createLogger('api', {
    format: 'json',
    destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
  });
  const app = express();
  app.use(requestLogging(log));
  app.get('/incidents/:id/was-this-you', (_req, res) => void res.status(400).json({ error: 'x' }));
  app.get('/health', (_req, res) => void res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('API request log', () => {
  it('one JSON line per request: id echoed, path without the query, incident id, never headers', async () => {
    const lines: string[] = [];
    const { server, url } = await serve(lines);
    try {
      const res = await fetch(`${url}/incidents/incident-abc/was-this-you?token=SECRET-LINK-TOKEN`, {
        headers: { 'x-request-id': 'req-42', authorization: 'Bearer eyJ.secret.sig', cookie: 'sid=1' },
      });
      expect(res.headers.get('x-request-id')).toBe('req-42');
      // A request id that is not a plain token is replaced, never copied into the log.
      const odd = await fetch(`${url}/health`, { headers: { 'x-request-id': 'a"b\\nforged' } });
      expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      server.close();
    }
    expect(lines).toHaveLength(1); // /health is not logged
    const record = JSON.parse(lines[0]);
    expect(record).toMatchObject({
      level: 'warn',
      service: 'api',
      req: {
        id: 'req-42',
        method: 'GET',
        path: '/incidents/incident-abc/was-this-you',
        incidentId: 'incident-abc',
      },
      res: { statusCode: 400 },
    });
    expect(lines[0]).not.toMatch(/SECRET-LINK-TOKEN|eyJ|sid=1|forged/);
  });
});
