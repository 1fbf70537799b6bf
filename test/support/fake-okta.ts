/**
 * A local stand-in for Okta's System Log API, built from its documented contract (Okta cannot run
 * here): GET /api/v1/logs with SSWS token auth, `since`/`limit`/`sortOrder`, polling requests that
 * always answer with a `Link: rel="next"` cursor, and 429 with X-Rate-Limit-Reset when told to.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export class FakeOkta {
  readonly events: Record<string, unknown>[] = [];
  readonly requests: { at: number; status: number; url: string }[] = [];
  /** The next N requests answer 429, resetting `resetInSeconds` later. */
  throttle = { times: 0, resetInSeconds: 1 };

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(token: string): Promise<FakeOkta> {
    let fake!: FakeOkta; // eslint-disable-line prefer-const -- assigned once the server listens
    const server = http.createServer((req, res) => fake.handle(req, res, token));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeOkta(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  emit(event: Record<string, unknown>): void {
    this.events.push(event);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, token: string): void {
    const url = new URL(req.url ?? '/', this.url);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ at: Date.now(), status, url: url.pathname + url.search });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/api/v1/logs')
      return answer(404, { errorCode: 'E0000022', errorSummary: 'not found' });
    if (req.headers.authorization !== `SSWS ${token}`) {
      return answer(401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    }
    if (this.throttle.times > 0) {
      this.throttle.times -= 1;
      const reset = Math.ceil(Date.now() / 1000) + this.throttle.resetInSeconds;
      return answer(
        429,
        { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit' },
        {
          'x-rate-limit-limit': '60',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(reset),
        },
      );
    }
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 1000);
    // The opaque `after` cursor is the index of the next event; a first request starts at `since`.
    const after = url.searchParams.get('after');
    const since = Date.parse(url.searchParams.get('since') ?? '1970-01-01T00:00:00Z');
    const start =
      after !== null ? Number(after) : this.events.findIndex((e) => Date.parse(String(e.published)) >= since);
    const from = start < 0 ? this.events.length : start;
    const page = this.events.slice(from, from + limit);
    const next = new URL('/api/v1/logs', this.url);
    next.searchParams.set('after', String(from + page.length));
    next.searchParams.set('limit', String(limit));
    answer(200, page, { link: `<${url.href}>; rel="self", <${next.href}>; rel="next"` });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
