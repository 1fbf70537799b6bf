/**
 * A setting given as a JSON array (GTR_APPS, SSF_TRANSMITTERS): parsed, checked against its schema,
 * each problem named with the setting and the path to the bad member.
 */
import { z } from 'zod';

export function parseJsonList<T extends z.ZodType>(name: string, raw: string, item: T): z.infer<T>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${name} is not JSON`);
  }
  const result = z.array(item).min(1).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${name}${issue.path.map((p) => `[${JSON.stringify(p)}]`).join('')}: ${issue.message}`);
  }
  return result.data;
}
