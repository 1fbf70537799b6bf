/**
 * The engine as tests run it: a real worker on the real Temporal server, the real REST API on a
 * loopback port, the real Keycloak connector. Each test file gets its own task queue.
 */
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { redactingLogger } from '../../worker/logger';
import { Client, Connection } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../api/app';
import { connectClient } from '../../client/connect';
import { AesGcmPayloadCodec } from '../../codec/payload-codec';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { EngineConfig } from '../../config/config';
import { createWorker } from '../../worker/worker';
import { LogNotifier } from '../../activities/notifier';
import type { LabIdentityProvider } from '../../providers/lab/connector';
import type { Approval, IncidentState } from '../../domain/incident';
import type { ReviewReport } from '../../domain/review';
import { ENGINE_CLIENT, REALM } from './keycloak';
import { readTestEnv } from './env';
import { capturing, FIXTURE_PAYLOAD_KEY } from './histories';
import { usePrincipalKeySecret } from '../../domain/principal-key';

let runtimeInstalled = false;

/** The Temporal UI's origin in tests (the codec endpoint grants CORS to it). */
export const TEST_UI_ORIGIN = 'http://127.0.0.1:28233';

/**
 * One key per test run; tests that rotate keys add their own. Capturing replay fixtures, the fixed
 * fixture key instead (test/support/histories.ts).
 */
export const TEST_PAYLOAD_KEY = capturing
  ? FIXTURE_PAYLOAD_KEY
  : { id: `test-${randomBytes(3).toString('hex')}`, key: randomBytes(32) };

/** Keys principal names in this test run (the test process computes incident ids with it too). */
export const TEST_PRINCIPAL_KEY_SECRET = Buffer.from('test-principal-key-secret-0123456789abcdef');
usePrincipalKeySecret(TEST_PRINCIPAL_KEY_SECRET);

export function testConfig(): EngineConfig {
  const env = readTestEnv();
  return {
    temporal: { address: env.temporal.url, namespace: 'default', taskQueue: `test-${randomUUID()}` },
    keycloak: { baseUrl: env.keycloak.url, clientId: ENGINE_CLIENT.id, clientSecret: ENGINE_CLIENT.secret },
    evidenceDir: path.join(env.workDir, 'evidence'),
    api: { host: '127.0.0.1', port: 0, corsOrigins: [TEST_UI_ORIGIN] },
    detectionSources: [],
    auth: { mode: 'dev' },
    payloads: { mode: 'encrypted', keys: [TEST_PAYLOAD_KEY] },
    principalKeySecret: TEST_PRINCIPAL_KEY_SECRET,
    // The test receivers listen on this machine.
    ssfPushPrivateHosts: ['127.0.0.1', 'localhost'],
  };
}

export class TestWorker {
  private running?: Promise<void>;
  private constructor(
    readonly worker: Worker,
    private readonly connection: NativeConnection,
    readonly client: Client,
  ) {}

  static async start(
    config: EngineConfig,
    /** The lab identity provider's connector, given explicitly. */
    lab?: LabIdentityProvider,
  ): Promise<TestWorker> {
    if (!runtimeInstalled) {
      Runtime.install({ logger: redactingLogger('WARN') });
      runtimeInstalled = true;
    }
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const client = await temporalClient(config);
    const worker = await createWorker(config, client, {
      connection,
      // With playbook packages the worker bundles its workflows itself (theirs are not prebuilt).
      ...(config.playbookPackages?.length
        ? {}
        : { workflowBundle: { codePath: readTestEnv().workflowBundlePath } }),
      notifier: new LogNotifier(() => undefined), // notifications are asserted on the timeline
      lab,
    });
    const w = new TestWorker(worker, connection, client);
    w.running = worker.run();
    return w;
  }

  async stop(): Promise<void> {
    if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
    await this.connection.close();
    await this.client.connection.close();
  }
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export class TestApi {
  private constructor(
    private readonly app: INestApplication,
    readonly url: string,
  ) {}

  /** `port`: a fixed one, for a test that must know the API's address before it starts. */
  static async start(config: EngineConfig, port = 0): Promise<TestApi> {
    const app = await createApp(config, { logger: process.env.API_LOG ? undefined : false });
    await app.listen(port, '127.0.0.1');
    return new TestApi(app, (await app.getUrl()).replace('[::1]', '127.0.0.1'));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async call<T = any>(
    method: string,
    route: string,
    body?: unknown,
    actor?: string,
    raw?: string,
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (actor) headers['x-actor'] = actor;
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Opens (or joins) a compromised-credential incident for `username` in the test realm. */
  openIncident(username: string, actor: string, extra: Record<string, unknown> = {}) {
    return this.call('POST', '/incidents', compromisedCredentialAlert(username, extra), actor);
  }

  async incident(id: string): Promise<IncidentState> {
    const res = await this.call<IncidentState>('GET', `/incidents/${id}`);
    if (res.status !== 200)
      throw new Error(`GET /incidents/${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  untilPhase(id: string, phases: string[], timeoutMs = 90_000): Promise<IncidentState> {
    return eventually(
      async () => {
        const state = await this.incident(id);
        // Verified containment is passed through on the way to investigation and recovery.
        const contained = phases.includes('contained') && state.containedAt !== undefined;
        return phases.includes(state.phase) || contained ? state : undefined;
      },
      `incident ${id} to reach ${phases.join('/')}`,
      timeoutMs,
    );
  }

  /**
   * The review the workflow wrote to evidence (not the draft the API builds meanwhile). The phase
   * turns to 'review' before the review is written, so a test reading it must wait for it.
   */
  writtenReview(id: string, accept: (r: ReviewReport) => boolean = () => true): Promise<ReviewReport> {
    return eventually(async () => {
      const res = await this.call<ReviewReport & { draft?: boolean }>('GET', `/incidents/${id}/review`);
      return res.status === 200 && !res.body.draft && accept(res.body) ? res.body : undefined;
    }, `incident ${id}'s written review`);
  }

  /** The first pending approval (of `action`, when given). */
  pendingApproval(id: string, action?: string): Promise<Approval> {
    return eventually(
      async () =>
        (await this.incident(id)).approvals.find(
          (a) => a.status === 'pending' && (!action || a.action === action),
        ),
      `a pending ${action ?? ''} approval`,
    );
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}

export function compromisedCredentialAlert(username: string, extra: Record<string, unknown> = {}) {
  return {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: REALM, username },
    severity: 'high',
    summary: `credential of ${username} seen on a phishing kit`,
    ...extra,
  };
}

/** A client with the engine's data converter (decrypts). */
export function temporalClient(config: EngineConfig): Promise<Client> {
  return connectClient(config);
}

/** A client without any codec: what someone reading the server's database would see. */
export async function rawTemporalClient(config: EngineConfig): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/**
 * Every string and every payload's bytes (as UTF-8) in a history, to search for plaintext. With a
 * codec, encrypted payloads are decrypted first (what an authorised reader sees); without, the raw
 * bytes as stored on the server.
 */
export async function historyText(history: unknown, codec?: PayloadCodec): Promise<string> {
  const parts: string[] = [];
  const walk = async (v: unknown): Promise<void> => {
    if (typeof v === 'string') parts.push(v);
    else if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) for (const x of v) await walk(x);
    else if (v && typeof v === 'object') {
      if (codec && 'metadata' in v && 'data' in v && (v as Payload).data instanceof Uint8Array) {
        const [plain] = await codec.decode([v as Payload]);
        if (plain !== v) return walk(plain);
      }
      for (const x of Object.values(v)) await walk(x);
    }
  };
  await walk(history);
  return parts.join('\n');
}

/** A workflow's history as an authorised reader sees it (payloads decrypted with the test key). */
export async function decodedHistoryText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  // Search attributes and other server-side fields are plain by design: shown, not acted on.
  return historyText(history, new AesGcmPayloadCodec([TEST_PAYLOAD_KEY], { plaintext: 'pass' }));
}

/** A loopback port free right now (for an address a test must know before its server starts). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Opens (or joins) a critical compromised-credential incident for a test-realm user through the
 * worker's own client — for tests whose API accepts only machine clients (SSF receivers).
 */
export async function openKeycloakIncident(
  worker: TestWorker,
  config: EngineConfig,
  username: string,
  opts: { realm?: string; by?: string; summary?: string } = {},
) {
  const { openOrJoinIncident } = await import('../../client/incidents');
  const by = opts.by ?? 'test';
  const summary = opts.summary ?? 'password in a paste';
  return openOrJoinIncident(worker.client, config.temporal.taskQueue, {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: opts.realm ?? 'corp', username },
    severity: 'critical',
    summary,
    openedBy: by,
    alert: {
      id: `test-${randomUUID()}`,
      source: 'test',
      severity: 'critical',
      summary,
      raisedAt: new Date().toISOString(),
      reportedBy: by,
    },
  });
}
