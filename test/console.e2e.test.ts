/**
 * The incident console in a real browser: Debian's Chromium driven by playwright-core (no browser
 * download). A responder signs in through Keycloak with the authorization code flow and PKCE, finds
 * the incident in the list, reads its timeline chart, approves a step with a comment, adds a note,
 * sees the evidence verified; what an attacker put in an alert's text stays text. Screenshots of the
 * main pages are kept in .runtime/reports/console/.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { EngineConfig } from '../config/config';
import type { IncidentState } from '../domain/incident';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import {
  APP_CLIENT,
  API_AUDIENCE,
  KeycloakTestClient,
  testRealmAuth,
  REALM,
  TestUser,
} from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const SHOTS = path.resolve(__dirname, '..', '.runtime', 'reports', 'console');
const consoleClient = `ir-console-${randomUUID().slice(0, 8)}`;
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
let browser: Browser;
let page: Page;
const users: Record<string, TestUser> = {};
const dialogs: string[] = [];

async function asUser(who: string, method: string, route: string, body?: unknown) {
  const token = (await kc.login(users[who])).access_token;
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  config = {
    ...testConfig(),
    auth: testRealmAuth(kc.issuer, [APP_CLIENT, consoleClient]),
    consoleClientId: consoleClient,
  };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
  await kc.ensureRolesInTokens();
  await kc.ensureAudience(APP_CLIENT, API_AUDIENCE);
  await kc.createCodeFlowClient(consoleClient, `${api.url}/console/`);
  await kc.ensureAudience(consoleClient, API_AUDIENCE);
  users.responder = await kc.createUser('consoleresp', { roles: ['ir-responder'] });
  users.lead = await kc.createUser('consolelead', { roles: ['ir-responder', 'ir-approver'] });
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  await worker?.stop();
});

it('signs in with code + PKCE, shows the incident and its timeline, and decides an approval', async () => {
  const victim = await kc.createUser('consolevictim');
  const hostile = `<img src=x onerror="alert('xss')"> password in a paste`;
  const opened = await asUser('responder', 'POST', '/incidents', {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: REALM, username: victim.username },
    severity: 'high',
    summary: hostile,
  });
  expect(opened.status).toBe(201);
  const id = String(opened.body.incidentId);
  await eventually(async () => {
    const s = (await asUser('responder', 'GET', `/incidents/${id}`)).body as unknown as IncidentState;
    return s.approvals?.some((a) => a.status === 'pending') || undefined;
  }, 'the approval request');

  // Sign-in: the console sends the browser to Keycloak, which sends it back with a code.
  await page.goto(`${api.url}/console/#/`);
  await page.waitForSelector('#username', { timeout: 30_000 });
  expect(page.url()).toContain(`${kc.issuer}/protocol/openid-connect/auth`);
  expect(new URL(page.url()).searchParams.get('code_challenge_method')).toBe('S256');
  await page.fill('#username', users.lead.username);
  await page.fill('#password', users.lead.password);
  await page.click('#kc-login');
  await page.waitForSelector(`tr[data-id="${id}"]`, { timeout: 30_000 });
  expect(await page.textContent('#who')).toBe(`signed in as ${users.lead.username}`);
  // The code is gone from the address bar once exchanged.
  expect(page.url()).not.toContain('code=');
  await page.screenshot({ path: path.join(SHOTS, 'incidents.png') });

  // Filters go to the API's query.
  await page.selectOption('select[name="severity"]', 'critical');
  await page.locator(`tr[data-id="${id}"]`).waitFor({ state: 'detached' });
  await page.selectOption('select[name="severity"]', 'high');
  await page.click(`tr[data-id="${id}"]`);
  await page.waitForSelector('#timeline-chart');
  expect(await page.locator('.phase-band').count()).toBeGreaterThanOrEqual(3);
  expect(await page.locator('.action-mark').count()).toBeGreaterThanOrEqual(3);
  expect(await page.locator('.approval-wait').count()).toBe(1);
  // The alert's text is shown as text: no element made of it, no script run.
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.textContent('.timeline-list')).toContain('<img src=x onerror=');
  await page.screenshot({ path: path.join(SHOTS, 'incident.png'), fullPage: true });

  const approval = page.locator('[data-approval]').first();
  const approvalId = await approval.getAttribute('data-approval');
  await approval.locator('input').fill('checked with the user by phone');
  await approval.locator('button.approve').click();
  await page.locator('#message', { hasText: /: approved$/ }).waitFor();
  // The page reads the incident again after a decision: wait for it before typing elsewhere.
  await page.locator(`[data-approval="${approvalId}"]`).waitFor({ state: 'detached' });
  const state = await eventually(async () => {
    const s = (await asUser('responder', 'GET', `/incidents/${id}`)).body as unknown as IncidentState;
    return s.containedAt ? s : undefined;
  }, 'containment after the approval');
  const decided = state.approvals.find((a) => a.id === approvalId)!;
  expect(decided.decisions[0]).toMatchObject({
    actor: users.lead.username,
    decision: 'approve',
    comment: 'checked with the user by phone',
    origin: { via: 'oidc', actorId: `${kc.issuer}#${users.lead.id}` },
  });
  expect((await kc.user(victim.id)).enabled).toBe(false);

  // A note, and the evidence verified.
  await page.waitForSelector('#evidence');
  await page.fill('#note input[name="text"]', 'user confirmed the paste');
  await page.click('#note button');
  await page.locator('.timeline-list', { hasText: 'user confirmed the paste' }).waitFor();
  await eventually(async () => {
    await page.reload();
    await page.waitForSelector('#evidence');
    return /^Verified: \d+ entries/.test((await page.textContent('#evidence')) ?? '') || undefined;
  }, 'the evidence verified in the console');
  await page.screenshot({ path: path.join(SHOTS, 'incident-contained.png'), fullPage: true });

  await page.goto(`${api.url}/console/#/inbox`);
  await page.waitForSelector('#inbox, main p.muted');
  await page.screenshot({ path: path.join(SHOTS, 'inbox.png') });
  expect(dialogs).toEqual([]);
});

it('serves the console with a strict content security policy, and its API calls stay authenticated', async () => {
  const res = await fetch(`${api.url}/console/`);
  expect(res.status).toBe(200);
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain(`connect-src 'self' ${new URL(kc.issuer).origin}`);
  expect(csp).toContain("frame-ancestors 'none'");
  const cfg = await (await fetch(`${api.url}/console/config.json`)).json();
  expect(cfg).toMatchObject({ auth: 'oidc', issuer: kc.issuer, clientId: consoleClient });
  expect((await fetch(`${api.url}/incidents`)).status).toBe(401);
  expect((await fetch(`${api.url}/console/../package.json`)).status).not.toBe(200);
});

it('asks a dev-mode API user for their name, and works as them', async () => {
  const devConfig = { ...testConfig(), temporal: { ...config.temporal } };
  const dev = await TestApi.start(devConfig);
  const devPage = await browser.newPage();
  try {
    devPage.on('dialog', (d) => void (d.type() === 'prompt' ? d.accept('dev.lead') : d.dismiss()));
    await devPage.goto(`${dev.url}/console/#/inbox`);
    await devPage.locator('#who', { hasText: 'signed in as dev.lead' }).waitFor();
    await devPage.locator('#inbox, main p.muted').first().waitFor();
    const cfg = (await (await fetch(`${dev.url}/console/config.json`)).json()) as { auth: string };
    expect(cfg.auth).toBe('dev');
    expect(cfg).not.toHaveProperty('issuer');
  } finally {
    await devPage.close();
    await dev.stop();
  }
});
