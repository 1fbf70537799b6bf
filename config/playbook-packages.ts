/**
 * Playbook packages (PLAYBOOK_PACKAGES: comma-separated paths or package names): each entry module
 * exports a descriptor (kit/package.ts) as `default` or `playbookPackage`. Loaded, checked and
 * registered (domain/playbooks.ts) the same way by the worker, the API and the exercise runner, so
 * all three know the same playbook names. A package that does not load, or whose descriptor is
 * wrong, stops the process with what is wrong: never a partly registered package.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ROUTES } from '../detection/routing';
import type { RuleName } from '../detection/rules';
import { registerPlaybook, PLAYBOOK_NAME, WORKFLOW_TYPE } from '../domain/playbooks';
import type { PlaybookPackage } from '../kit/package';

const descriptor = z
  .object({
    name: z.string().min(1).max(214),
    workflowsPath: z
      .string()
      .refine((p) => path.isAbsolute(p), 'must be an absolute path (require.resolve it)'),
    playbooks: z
      .array(
        z
          .object({
            name: z.string().regex(PLAYBOOK_NAME, 'kebab-case').max(64),
            workflowType: z.string().regex(WORKFLOW_TYPE, 'a function name'),
            description: z.string().min(1).max(500),
            policy: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1),
    routes: z.record(z.string(), z.string()).optional(),
    scenariosDir: z.string().optional(),
  })
  .strict();

export class PlaybookPackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaybookPackageError';
  }
}

const loaded = new Map<string, PlaybookPackage>();

/** Loads (once per module path), checks and registers every package `spec` names. */
export function loadPlaybookPackages(spec: string | undefined, baseDir = process.cwd()): PlaybookPackage[] {
  const entries = (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    const file = resolveEntry(entry, baseDir);
    const cached = loaded.get(file);
    if (cached) return cached;
    let mod: { default?: unknown; playbookPackage?: unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(file);
    } catch (err) {
      throw new PlaybookPackageError(`PLAYBOOK_PACKAGES: '${entry}' did not load: ${(err as Error).message}`);
    }
    const parsed = descriptor.safeParse(mod.default ?? mod.playbookPackage);
    if (!parsed.success)
      throw new PlaybookPackageError(
        `PLAYBOOK_PACKAGES: '${entry}' exports no valid playbook package: ${parsed.error.issues
          .map((i) => `${i.path.join('.') || '(descriptor)'}: ${i.message}`)
          .join('; ')}`,
      );
    const pkg = parsed.data as PlaybookPackage;
    if (!existsSync(pkg.workflowsPath))
      throw new PlaybookPackageError(
        `PLAYBOOK_PACKAGES: '${pkg.name}': workflowsPath ${pkg.workflowsPath} does not exist`,
      );
    const own = new Set(pkg.playbooks.map((p) => p.name));
    for (const [rule, playbook] of Object.entries(pkg.routes ?? {})) {
      if (!Object.hasOwn(ROUTES, rule))
        throw new PlaybookPackageError(`PLAYBOOK_PACKAGES: '${pkg.name}' routes unknown rule '${rule}'`);
      if (!own.has(playbook))
        throw new PlaybookPackageError(
          `PLAYBOOK_PACKAGES: '${pkg.name}' routes '${rule}' to '${playbook}', which is not one of its playbooks`,
        );
    }
    for (const p of pkg.playbooks)
      registerPlaybook({
        name: p.name,
        workflowType: p.workflowType,
        description: p.description,
        fromPackage: pkg.name,
      });
    loaded.set(file, pkg);
    return pkg;
  });
}

function resolveEntry(entry: string, baseDir: string): string {
  try {
    return entry.startsWith('.') || path.isAbsolute(entry)
      ? require.resolve(path.resolve(baseDir, entry))
      : require.resolve(entry, { paths: [baseDir] });
  } catch {
    throw new PlaybookPackageError(`PLAYBOOK_PACKAGES: cannot find '${entry}' (from ${baseDir})`);
  }
}

/** The detection routes the packages set, by rule (a rule two packages route is refused). */
export function packageRoutes(packages: PlaybookPackage[]): Partial<Record<RuleName, string>> {
  const routes: Partial<Record<RuleName, string>> = {};
  for (const pkg of packages)
    for (const [rule, playbook] of Object.entries(pkg.routes ?? {})) {
      if (routes[rule as RuleName] && routes[rule as RuleName] !== playbook)
        throw new PlaybookPackageError(`PLAYBOOK_PACKAGES: two packages route '${rule}'`);
      routes[rule as RuleName] = playbook;
    }
  return routes;
}
