/**
 * `ir`, the responder's terminal client: sign in with the OIDC device authorization grant, list and
 * read incidents, work the approval inbox, decide, note, close with a disposition and verify an
 * incident's evidence. Every command takes `--json` (the API's answer as is, for scripts). Exit
 * codes: 0 done, 1 refused or failed, 2 not signed in, 3 API unreachable, 4 evidence does not verify.
 */
import { Command, CommanderError, Option } from 'commander';
import * as oidc from 'openid-client';
import { DISPOSITIONS, PHASES, SEVERITIES } from '../domain/incident';
import type { IncidentState } from '../domain/incident';
import type { InboxEntry } from '../domain/inbox';
import { ApiClient, CliError, oidcConfig } from './api-client';
import { credentialsFile, readProfile, writeProfile, type Profile } from './credentials';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const INCIDENT_ID = /^incident-[0-9a-f]{24}$/;

function incidentId(value: string): string {
  if (!INCIDENT_ID.test(value)) throw new CliError(`'${value}' is not an incident id (incident-<24 hex>)`);
  return value;
}

function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "in 12 min", "3 h ago": how far a time is from now. */
export function relative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('ir')
    .description('Identity incident response from the terminal')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    .showHelpAfterError();

  const withJson = (cmd: Command) => cmd.option('--json', 'print the API answer as JSON');
  const client = (): ApiClient => {
    const profile = readProfile(io.env);
    if (!profile)
      throw new CliError("not signed in: run 'ir login --api <url> --issuer <url> --client-id <id>'", 2);
    return new ApiClient(profile, io.env);
  };
  const print = (json: boolean | undefined, data: unknown, text: () => string) =>
    io.out(json ? JSON.stringify(data, null, 2) : text());

  withJson(
    program
      .command('login')
      .description('sign in with the OIDC device authorization grant (or name yourself for a dev-mode API)')
      .requiredOption('--api <url>', "the engine's API, e.g. https://ir.example.com")
      .option('--issuer <url>', 'the OIDC issuer the API trusts (AUTH_ISSUER)')
      .option('--client-id <id>', 'a public client of that issuer with the device grant enabled', 'ir-cli')
      .option('--actor <name>', 'dev-mode APIs only (AUTH_MODE=dev): who you are'),
  ).action(
    async (opts: { api: string; issuer?: string; clientId: string; actor?: string; json?: boolean }) => {
      if (!URL.canParse(opts.api)) throw new CliError(`--api '${opts.api}' is not a URL`);
      if (!opts.issuer) {
        if (!opts.actor) throw new CliError('give --issuer (OIDC) or, for a dev-mode API, --actor');
        const file = writeProfile({ api: opts.api, actor: opts.actor }, io.env);
        return print(
          opts.json,
          { api: opts.api, actor: opts.actor, file },
          () => `acting as ${opts.actor} on ${opts.api} (dev mode; saved in ${file})`,
        );
      }
      const config = await oidcConfig(opts.issuer, opts.clientId).catch((err: Error) => {
        throw new CliError(`cannot read the issuer's configuration at ${opts.issuer}: ${err.message}`);
      });
      const device = await oidc
        .initiateDeviceAuthorization(config, { scope: 'openid' })
        .catch((err: Error) => {
          throw new CliError(
            `the issuer refused the device sign-in for client '${opts.clientId}': ${err.message}`,
          );
        });
      // Progress goes to stderr so --json output stays one document.
      io.err(
        `To sign in, open ${device.verification_uri_complete ?? device.verification_uri} and confirm the code ${device.user_code} (valid ${Math.round(device.expires_in / 60)} min).`,
      );
      const tokens = await oidc.pollDeviceAuthorizationGrant(config, device).catch((err: Error) => {
        throw new CliError(`sign-in did not complete: ${err.message}`, 2);
      });
      const profile: Profile = {
        api: opts.api,
        issuer: opts.issuer,
        clientId: opts.clientId,
        tokens: {
          accessToken: tokens.access_token,
          ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
          expiresAt: Date.now() + (tokens.expires_in ?? 60) * 1000,
        },
      };
      const file = writeProfile(profile, io.env);
      const who = tokens.claims()?.preferred_username ?? tokens.claims()?.sub ?? 'you';
      print(
        opts.json,
        { api: opts.api, issuer: opts.issuer, signedInAs: who, file },
        () => `signed in as ${who} (saved in ${file}, mode 600)`,
      );
    },
  );

  program
    .command('logout')
    .description('forget the saved sign-in')
    .action(() => {
      rmSync(credentialsFile(io.env), { force: true });
      io.out('signed out');
    });

  withJson(
    program
      .command('incidents')
      .description('list incidents (newest first)')
      .addOption(new Option('--phase <phase>').choices([...PHASES]))
      .addOption(new Option('--severity <severity>').choices([...SEVERITIES]))
      .addOption(new Option('--status <status>').choices(['open', 'closed']))
      .option('--limit <n>', 'how many', '50'),
  ).action(
    async (opts: { phase?: string; severity?: string; status?: string; limit: string; json?: boolean }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      for (const k of ['phase', 'severity', 'status'] as const) if (opts[k]) q.set(k, opts[k]!);
      const res = await client().call<{ incidents: Record<string, unknown>[] }>('GET', `/incidents?${q}`);
      print(opts.json, res, () =>
        res.incidents.length
          ? table([
              ['INCIDENT', 'PHASE', 'SEVERITY', 'PLAYBOOK', 'OPENED', 'WAITING FOR'],
              ...res.incidents.map((i) => [
                String(i.incidentId),
                String(i.phase ?? '?'),
                String(i.severity ?? '?'),
                String(i.playbook ?? '?'),
                relative(String(i.startedAt)),
                (i.pendingApprovals as string[]).join(', ') || '—',
              ]),
            ])
          : 'no incidents',
      );
    },
  );

  withJson(
    program.command('show').description("an incident's state and timeline").argument('<incidentId>'),
  ).action(async (id: string, opts: { json?: boolean }) => {
    const s = await client().call<IncidentState>('GET', `/incidents/${incidentId(id)}`);
    const pending = s.approvals.filter((a) => a.status === 'pending');
    print(opts.json, s, () =>
      [
        `${s.incidentId}  ${s.playbook}  severity ${s.severity}  phase ${s.phase}  ${s.status}`,
        `principal: ${s.principal.username} (${s.principal.provider} ${s.principal.realm})`,
        `opened ${s.openedAt} by ${s.openedBy}${s.containedAt ? `; contained ${s.containedAt}` : ''}${s.closedAt ? `; closed ${s.closedAt}` : ''}`,
        ...(s.closure
          ? [
              `closure: ${s.closure.disposition ?? '—'} (${s.closure.status}) by ${s.closure.requestedBy}: ${s.closure.reason}`,
            ]
          : []),
        '',
        'pending approvals:',
        ...(pending.length
          ? pending.map((a) => `  ${a.id}  ${a.summary}  (deadline ${relative(a.deadline)})`)
          : ['  none']),
        '',
        'timeline:',
        ...s.timeline.map((t) => {
          const by = t.actor && t.actor !== 'engine' && !t.message.startsWith(t.actor) ? ` (${t.actor})` : '';
          return `  ${t.at}  ${t.kind.padEnd(12)} ${t.message}${by}`;
        }),
      ].join('\n'),
    );
  });

  withJson(
    program
      .command('inbox')
      .description('approvals waiting for you (--all: every pending approval, with why you cannot decide it)')
      .option('--all', 'every pending approval, not only yours'),
  ).action(async (opts: { all?: boolean; json?: boolean }) => {
    const res = await client().call<{ approvals: InboxEntry[] }>(
      'GET',
      `/approvals?status=pending${opts.all ? '' : '&mine=true'}`,
    );
    print(opts.json, res, () =>
      res.approvals.length
        ? table([
            ['INCIDENT', 'APPROVAL', 'DEADLINE', 'QUORUM', 'SUMMARY', ...(opts.all ? ['YOU'] : [])],
            ...res.approvals.map((a) => [
              a.incidentId,
              a.approvalId,
              relative(a.deadline),
              `${a.quorum.approved}/${a.quorum.required}`,
              a.summary.length > 70 ? `${a.summary.slice(0, 69)}…` : a.summary,
              ...(opts.all ? [a.canDecide ? 'can decide' : `no: ${a.whyNot}`] : []),
            ]),
          ])
        : opts.all
          ? 'no approvals pending'
          : 'nothing waiting for you',
    );
  });

  for (const decision of ['approve', 'reject'] as const) {
    withJson(
      program
        .command(decision)
        .description(`${decision} a pending approval`)
        .argument('<incidentId>')
        .argument('<approvalId>')
        .option('--comment <text>', 'why (on the timeline and in the review)'),
    ).action(async (id: string, approvalId: string, opts: { comment?: string; json?: boolean }) => {
      const a = await client().call<{
        id: string;
        status: string;
        action: string;
        decisions: unknown[];
        quorum: number;
      }>('POST', `/incidents/${incidentId(id)}/approvals`, {
        approvalId,
        decision,
        ...(opts.comment ? { comment: opts.comment } : {}),
      });
      print(opts.json, a, () => `${a.id} (${a.action}): ${a.status}`);
    });
  }

  withJson(
    program
      .command('note')
      .description('add a note to an incident')
      .argument('<incidentId>')
      .argument('<text...>'),
  ).action(async (id: string, text: string[], opts: { json?: boolean }) => {
    const res = await client().call<{ notes: number }>('POST', `/incidents/${incidentId(id)}/notes`, {
      text: text.join(' '),
    });
    print(opts.json, res, () => `noted (${res.notes} note${res.notes === 1 ? '' : 's'})`);
  });

  withJson(
    program
      .command('close')
      .description('close an incident with a disposition (before containment ends a second person approves)')
      .argument('<incidentId>')
      .addOption(new Option('--disposition <disposition>').choices([...DISPOSITIONS]).makeOptionMandatory())
      .requiredOption('--reason <text>', 'why'),
  ).action(async (id: string, opts: { disposition: string; reason: string; json?: boolean }) => {
    const s = await client().call<IncidentState>('POST', `/incidents/${incidentId(id)}/close`, {
      reason: opts.reason,
      disposition: opts.disposition,
    });
    print(opts.json, s, () =>
      s.closure?.status === 'pending'
        ? `closing early needs a second person: approval ${s.closure.approvalId} is waiting (containment goes on meanwhile)`
        : `closing as ${opts.disposition}`,
    );
  });

  withJson(
    program
      .command('drill-from')
      .description(
        'turn a closed incident into a drill: a pseudonymised exercise scenario and a detection regression fixture',
      )
      .argument('<incidentId>')
      .option('--out <dir>', 'where to write <name>.yaml and <name>.events.json', '.'),
  ).action(async (id: string, opts: { out: string; json?: boolean }) => {
    const drill = await client().call<{
      name: string;
      scenario: string;
      fixture: { expectRules: string[]; events: unknown[] };
    }>('GET', `/incidents/${incidentId(id)}/drill`);
    mkdirSync(opts.out, { recursive: true });
    const scenarioFile = path.join(opts.out, `${drill.name}.yaml`);
    const fixtureFile = path.join(opts.out, `${drill.name}.events.json`);
    writeFileSync(scenarioFile, drill.scenario);
    writeFileSync(fixtureFile, `${JSON.stringify(drill.fixture, null, 2)}\n`);
    print(opts.json, { ...drill, files: { scenario: scenarioFile, fixture: fixtureFile } }, () =>
      [
        `scenario: ${scenarioFile}  (npm run exercise -- ${scenarioFile})`,
        `detection fixture: ${fixtureFile}  (${drill.fixture.events.length} events; ${drill.fixture.expectRules.join(', ')} must fire again — keep it in detection/regressions/)`,
      ].join('\n'),
    );
  });

  const evidence = program.command('evidence').description("an incident's evidence chain");
  withJson(
    evidence
      .command('verify')
      .description('verify the hash chain and every stored object')
      .argument('<incidentId>'),
  ).action(async (id: string, opts: { json?: boolean }) => {
    const res = await client().call<{
      manifest: unknown[];
      verification: { ok: boolean; problems?: string[]; pending?: unknown[] };
    }>('GET', `/incidents/${incidentId(id)}/evidence`);
    print(opts.json, res, () =>
      res.verification.ok
        ? `evidence verifies: ${res.manifest.length} entries, chain and objects intact`
        : [
            `evidence does NOT verify (${res.manifest.length} entries):`,
            ...(res.verification.problems ?? []).map((p) => `  - ${p}`),
          ].join('\n'),
    );
    if (!res.verification.ok) throw new CliError('', 4);
  });

  return program;
}

/** Runs `ir` with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    if (err instanceof CliError) {
      if (err.message) io.err(`ir: ${err.message}`);
      return err.exitCode;
    }
    io.err(`ir: ${(err as Error).message}`);
    return 1;
  }
}
