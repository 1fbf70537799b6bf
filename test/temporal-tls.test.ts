/**
 * Temporal behind TLS with client certificates (as a production cluster or Temporal Cloud runs):
 * the engine's client and worker connections reach it with the configured CA, server name and
 * client certificate, and a connection without a client certificate is refused. The dev server
 * speaks plaintext, so a TLS terminator that demands client certificates stands in front of it.
 */
import { NativeConnection } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createServer, type Server } from 'node:tls';
import { connectClient } from '../client/connect';
import { temporalConnectionOptions } from '../client/temporal-connection';
import { loadConfig } from '../config/config';
import { readTestEnv } from './support/env';

const SERVER_NAME = 'temporal.test';
let dir: string;
let proxy: Server;
let address: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA, a server certificate for SERVER_NAME and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=ir-test-ca',
  );
  const leaf = (name: string, cn: string, ext: string) => {
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  };
  leaf(
    'server',
    SERVER_NAME,
    `basicConstraints=CA:FALSE\nsubjectAltName=DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth\n`,
  );
  leaf('client', 'ir-worker', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ir-tls-'));
  makeCertificates();
  const [host, port] = readTestEnv()
    .temporal.url.replace(/^\w+:\/\//, '')
    .split(':');
  proxy = createServer(
    {
      key: readFileSync(path.join(dir, 'server.key')),
      cert: readFileSync(path.join(dir, 'server.pem')),
      ca: readFileSync(path.join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      const upstream = netConnect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end);
      upstream.on('error', end);
    },
  );
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
});

const env = (extra: Record<string, string> = {}) => ({
  AUTH_MODE: 'dev',
  PAYLOAD_ENCRYPTION: 'off',
  TEMPORAL_ADDRESS: address,
  TEMPORAL_TLS_CA_FILE: path.join(dir, 'ca.pem'),
  TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
  ...extra,
});

describe('Temporal over mTLS', () => {
  it('connects the API client and the worker with the configured CA, server name and client certificate', async () => {
    const config = loadConfig(
      env({
        TEMPORAL_TLS_CERT_FILE: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY_FILE: path.join(dir, 'client.key'),
      }),
    );
    const client = await connectClient(config);
    try {
      const info = await client.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
    } finally {
      await client.connection.close();
    }
    const worker = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
    try {
      const namespaces = await worker.workflowService.listNamespaces({});
      expect(namespaces.namespaces.length).toBeGreaterThan(0);
    } finally {
      await worker.close();
    }
  });

  it('is refused without a client certificate, and in plaintext', async () => {
    const noCert = loadConfig(env());
    await expect(
      (async () => {
        const conn = await NativeConnection.connect(temporalConnectionOptions(noCert.temporal));
        await conn.workflowService.listNamespaces({});
      })(),
    ).rejects.toThrow();
    await expect(
      (async () => {
        const conn = await NativeConnection.connect({ address });
        await conn.workflowService.listNamespaces({});
      })(),
    ).rejects.toThrow();
  });

  it('refuses an API key over plaintext, and half a client certificate', () => {
    expect(() => loadConfig({ AUTH_MODE: 'dev', TEMPORAL_TLS: 'off', TEMPORAL_API_KEY: 'k' })).toThrow(
      /never travels in clear/,
    );
    expect(loadConfig({ AUTH_MODE: 'dev', TEMPORAL_API_KEY: 'k' }).temporal).toMatchObject({
      apiKey: 'k',
      tls: {},
    });
    expect(() => loadConfig(env({ TEMPORAL_TLS_CERT_FILE: path.join(dir, 'client.pem') }))).toThrow(
      /go together/,
    );
  });
});
