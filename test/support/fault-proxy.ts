/**
 * A small HTTP proxy in front of Keycloak that can answer chosen requests with a fault instead of
 * forwarding them (here: 429 with Retry-After). It records when each matching request arrived.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  /** Which requests it applies to. */
  match: (method: string, path: string) => boolean;
  /** How many matching requests get the fault before they pass through. */
  times: number;
  status: number;
  headers?: Record<string, string>;
}

export class FaultProxy {
  readonly hits: { method: string; path: string; at: number; faulted: boolean }[] = [];
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(target: string, faults: Fault[]): Promise<FaultProxy> {
    const upstream = new URL(target);
    // eslint-disable-next-line prefer-const -- assigned once the server exists, read by its handler
    let proxy!: FaultProxy;
    const server = http.createServer((req, res) => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const fault = faults.find((f) => f.times > 0 && f.match(method, path));
      const matched = faults.some((f) => f.match(method, path));
      if (matched) proxy.hits.push({ method, path, at: Date.now(), faulted: Boolean(fault) });
      if (fault) {
        fault.times -= 1;
        req.resume();
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(JSON.stringify({ error: 'injected fault' }));
        return;
      }
      // Host is passed through so Keycloak names the proxy as issuer, as a real reverse proxy would.
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method, path, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
