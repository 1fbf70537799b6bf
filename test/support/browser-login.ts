/**
 * Keycloak's browser login, driven as an attacker's browser would: the authorization endpoint, the
 * login form, the known password posted with the form's cookies. Says where it ended: a code for
 * the app, a required-action page (where a new password or factor would be set), or the login
 * page again with Keycloak's error.
 */
import { randomUUID } from 'node:crypto';
import { APP_CLIENT } from './keycloak';

export const REDIRECT_URI = 'http://127.0.0.1/takeover-callback';

export type BrowserLoginResult =
  | { ended: 'code'; code: string }
  | { ended: 'required-action'; where: string; page: string }
  | { ended: 'refused'; message: string; page: string };

export class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const decode = (html: string) => html.replace(/&amp;/g, '&');

export async function browserLogin(
  issuer: string,
  username: string,
  password: string,
): Promise<BrowserLoginResult> {
  const auth = new URL(`${issuer}/protocol/openid-connect/auth`);
  auth.search = new URLSearchParams({
    client_id: APP_CLIENT,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    state: randomUUID(),
  }).toString();
  const r = await loginAt(auth.toString(), username, password, (l) => l.startsWith(REDIRECT_URI));
  if (r.ended !== 'left') return r;
  const back = new URL(r.location);
  const code = back.searchParams.get('code');
  if (code) return { ended: 'code', code };
  return { ended: 'refused', message: back.searchParams.get('error') ?? 'no code', page: '' };
}

/**
 * A person signing in to an app: the app's login link, Keycloak's login form with the password,
 * and back to the app's callback with the app's own cookies. Resolves with the app's answer.
 */
export async function signInToApp(
  loginUrl: string,
  username: string,
  password: string,
): Promise<{ cookie: string; body: Record<string, unknown> }> {
  const app = new CookieJar();
  const start = await fetch(loginUrl, { redirect: 'manual' });
  app.take(start);
  const origin = new URL(loginUrl).origin;
  const r = await loginAt(start.headers.get('location') ?? '', username, password, (l) =>
    l.startsWith(origin),
  );
  if (r.ended !== 'left')
    throw new Error(`sign-in to ${origin} ended ${r.ended}: ${'message' in r ? r.message : ''}`);
  const back = await fetch(r.location, { redirect: 'manual', headers: { cookie: app.header() } });
  app.take(back);
  if (back.status !== 200) throw new Error(`${origin} answered its callback with ${back.status}`);
  return { cookie: app.header(), body: (await back.json()) as Record<string, unknown> };
}

/** Keycloak's login form at `auth`, followed until a redirect `leaves` Keycloak for the app. */
async function loginAt(
  auth: string,
  username: string,
  password: string,
  leaves: (location: string) => boolean,
): Promise<{ ended: 'left'; location: string } | Exclude<BrowserLoginResult, { ended: 'code' }>> {
  const jar = new CookieJar();
  const form = await fetch(auth, { redirect: 'manual' });
  jar.take(form);
  const page = await form.text();
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(page)?.[1];
  if (!action) {
    const at = new URL(auth);
    throw new Error(`no login form at ${at.origin}${at.pathname} (status ${form.status})`);
  }

  let res = await fetch(decode(action), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, credentialId: '' }),
  });
  jar.take(res);
  // Follow Keycloak's own redirects (never the app's) to see where the browser would land.
  for (let hops = 0; hops < 5 && res.status >= 300 && res.status < 400; hops++) {
    const location = res.headers.get('location') ?? '';
    if (leaves(location)) return { ended: 'left', location };
    if (/required-action|execution=(UPDATE_PASSWORD|CONFIGURE_TOTP)/i.test(location)) {
      return { ended: 'required-action', where: location, page: '' };
    }
    res = await fetch(location, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res);
  }
  const body = await res.text();
  if (/required-action|name="password-new"|id="kc-totp-settings"|kc-otp-login-form|totpSecret/i.test(body)) {
    return { ended: 'required-action', where: res.url, page: body };
  }
  const message =
    /<span[^>]*id="input-error"[^>]*>\s*([^<]+)</.exec(body)?.[1] ??
    /class="[^"]*(?:alert|kc-feedback-text)[^"]*"[^>]*>\s*([^<]+)</.exec(body)?.[1] ??
    `status ${res.status}`;
  return { ended: 'refused', message: message.trim(), page: body };
}

/**
 * A person confirming a device sign-in in their browser (RFC 8628): the verification page, the
 * login form with their password, and Keycloak's grant page if it shows one. Resolves once the
 * issuer says the device may have its tokens.
 */
export async function approveDeviceLogin(
  verificationUrl: string,
  username: string,
  password: string,
): Promise<void> {
  const jar = new CookieJar();
  let res = await fetch(verificationUrl, { redirect: 'manual' });
  jar.take(res);
  const follow = async () => {
    for (let hops = 0; hops < 6 && res.status >= 300 && res.status < 400; hops++) {
      res = await fetch(new URL(res.headers.get('location') ?? '', verificationUrl), {
        redirect: 'manual',
        headers: { cookie: jar.header() },
      });
      jar.take(res);
    }
    return res.text();
  };
  let page = await follow();
  for (let step = 0; step < 4; step++) {
    if (/Device Login Successful|device-login-success|You may now close|successfully/i.test(page)) return;
    const login = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(page)?.[1];
    const grant = /<form[^>]*action="([^"]+)"[^>]*>[\s\S]*?name="accept"/.exec(page)?.[1];
    const codeForm = /<form[^>]*action="([^"]+)"[^>]*>[\s\S]*?name="device_user_code"/.exec(page)?.[1];
    const [action, body] = login
      ? [login, { username, password, credentialId: '' }]
      : grant
        ? [grant, { accept: 'Yes' }]
        : codeForm
          ? [codeForm, { device_user_code: new URL(verificationUrl).searchParams.get('user_code') ?? '' }]
          : [undefined, undefined];
    if (!action)
      throw new Error(`device sign-in: unexpected page (status ${res.status}): ${page.slice(0, 400)}`);
    res = await fetch(new URL(decode(action), verificationUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body as Record<string, string>),
    });
    jar.take(res);
    page = await follow();
  }
  throw new Error(`device sign-in did not finish: ${page.slice(0, 400)}`);
}
