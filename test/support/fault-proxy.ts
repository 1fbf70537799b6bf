/**
 * A small HTTP proxy in front of Keycloak that can answer chosen requests with a fault instead of
 * forwarding them: a status (5xx, 429 with Retry-After), a connection reset, a request that hangs,
 * or a lost response (forwarded — Keycloak applies it — and then the connection is cut before the
 * answer, the case that tests idempotency). It records when each matching request arrived.
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

/** A fault chosen per request by a chaos function. */
export type Injected =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'lost-response' };

export type Chaos = (method: string, path: string) => Injected | undefined;

export class FaultProxy {
  readonly hits: { method: string; path: string; at: number; faulted: boolean }[] = [];
  /** Every fault the chaos function injected, in order. */
  readonly injected: { method: string; path: string; at: number; fault: Injected }[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(target: string, faults: Fault[], chaos?: Chaos): Promise<FaultProxy> {
    const upstream = new URL(target);
    // eslint-disable-next-line prefer-const -- assigned once the server exists, read by its handler
    let proxy!: FaultProxy;
    const server = http.createServer((req, res) => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const fault = faults.find((f) => f.times > 0 && f.match(method, path));
      const matched = faults.some((f) => f.match(method, path));
      if (matched || chaos) proxy.hits.push({ method, path, at: Date.now(), faulted: Boolean(fault) });
      if (fault) {
        fault.times -= 1;
        req.resume();
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(JSON.stringify({ error: 'injected fault' }));
        return;
      }
      const injected = chaos?.(method, path);
      if (injected) proxy.injected.push({ method, path, at: Date.now(), fault: injected });
      if (injected?.kind === 'status') {
        req.resume();
        res.writeHead(injected.status, { 'content-type': 'application/json', ...injected.headers });
        res.end(JSON.stringify({ error: 'injected fault' }));
        return;
      }
      if (injected?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (injected?.kind === 'hang') {
        req.resume();
        proxy.hanging.add(res); // never answered; cut when the proxy stops
        return;
      }
      // Host is passed through so Keycloak names the proxy as issuer, as a real reverse proxy would.
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method, path, headers: req.headers },
        (up) => {
          if (injected?.kind === 'lost-response') {
            up.resume();
            up.on('end', () => req.socket.destroy()); // applied upstream, never acknowledged
            return;
          }
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
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
