/**
 * A local stand-in for Microsoft Entra ID and Graph, built from their documented contracts (they
 * cannot run here): OIDC discovery and the client-credentials token endpoint of a tenant, and
 * GET /v1.0/auditLogs/signIns with `$filter=createdDateTime ge …`, `$orderby`, `$top`,
 * `@odata.nextLink` paging and 429 with Retry-After when told to.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export class FakeEntra {
  readonly signIns: Record<string, unknown>[] = [];
  readonly requests: { at: number; status: number; path: string }[] = [];
  throttle = { times: 0, retryAfterSeconds: 1 };
  private readonly tokens = new Set<string>();

  private constructor(
    private readonly server: https.Server,
    readonly url: string,
    readonly tenantId: string,
    private readonly client: { id: string; secret: string },
  ) {}

  static async start(tenantId: string, client: { id: string; secret: string }): Promise<FakeEntra> {
    let fake!: FakeEntra; // eslint-disable-line prefer-const -- assigned once the server listens
    // HTTPS, as Microsoft's endpoints are (the test certificate `npm test` trusts).
    const tls = path.join(__dirname, '..', 'fixtures', 'tls');
    const cert = {
      key: fs.readFileSync(path.join(tls, 'fake-idp.key')),
      cert: fs.readFileSync(path.join(tls, 'fake-idp.crt')),
    };
    const server = https.createServer(cert, (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => fake.handle(req, res, body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeEntra(
      server,
      `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      tenantId,
      client,
    );
    return fake;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.url);
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ at: Date.now(), status, path: url.pathname });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const issuer = `${this.url}/${this.tenantId}/v2.0`;
    if (url.pathname === `/${this.tenantId}/v2.0/.well-known/openid-configuration`) {
      return answer(200, {
        issuer,
        token_endpoint: `${this.url}/${this.tenantId}/oauth2/v2.0/token`,
        authorization_endpoint: `${this.url}/${this.tenantId}/oauth2/v2.0/authorize`,
        jwks_uri: `${this.url}/${this.tenantId}/discovery/v2.0/keys`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      });
    }
    if (url.pathname === `/${this.tenantId}/oauth2/v2.0/token` && req.method === 'POST') {
      const form = new URLSearchParams(body);
      if (
        form.get('grant_type') !== 'client_credentials' ||
        form.get('client_id') !== this.client.id ||
        form.get('client_secret') !== this.client.secret
      ) {
        return answer(401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
      }
      const token = randomUUID();
      this.tokens.add(token);
      return answer(200, { token_type: 'Bearer', expires_in: 3599, access_token: token });
    }
    if (url.pathname === '/v1.0/auditLogs/signIns') {
      const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!this.tokens.has(bearer))
        return answer(401, {
          error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' },
        });
      if (this.throttle.times > 0) {
        this.throttle.times -= 1;
        return answer(
          429,
          { error: { code: 'TooManyRequests', message: 'Too many requests' } },
          {
            'retry-after': String(this.throttle.retryAfterSeconds),
          },
        );
      }
      const ge = /createdDateTime ge (\S+)/.exec(url.searchParams.get('$filter') ?? '')?.[1];
      const top = Number(url.searchParams.get('$top') ?? 100);
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const matching = this.signIns
        .filter((s) => !ge || String(s.createdDateTime) >= ge)
        .sort((a, b) => String(a.createdDateTime).localeCompare(String(b.createdDateTime)));
      const page = matching.slice(skip, skip + top);
      const next = new URL(url.href);
      next.searchParams.set('$skiptoken', String(skip + top));
      return answer(200, {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns',
        value: page,
        ...(skip + top < matching.length ? { '@odata.nextLink': next.href } : {}),
      });
    }
    answer(404, { error: { code: 'NotFound', message: url.pathname } });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
