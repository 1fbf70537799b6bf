/**
 * Subject identifiers for security events (RFC 9493), as SSF 1.0 uses them in `sub_id`: the user
 * by issuer and subject when the identity provider's id is known (what relying parties that sign
 * users in with it hold), else by e-mail, else an opaque id.
 */
export type SubjectId =
  | { format: 'iss_sub'; iss: string; sub: string }
  | { format: 'email'; email: string }
  | { format: 'opaque'; id: string }
  | { format: 'complex'; user: SubjectId; session?: SubjectId };

export interface SubjectFacts {
  /** The identity provider's issuer (e.g. a Keycloak realm's) and the user's subject there. */
  issuer?: string;
  userId?: string;
  email?: string;
  username: string;
  /** One session, when the event is about it. */
  sessionId?: string;
}

export function subjectOf(f: SubjectFacts): SubjectId {
  const user: SubjectId =
    f.issuer && f.userId
      ? { format: 'iss_sub', iss: f.issuer, sub: f.userId }
      : f.email && /^[^@\s]+@[^@\s]+$/.test(f.email)
        ? { format: 'email', email: f.email }
        : { format: 'opaque', id: f.username };
  return f.sessionId ? { format: 'complex', user, session: { format: 'opaque', id: f.sessionId } } : user;
}

/** Whether a stream's subject list names this subject (SSF subjects:add), compared by value. */
export function sameSubject(a: SubjectId, b: SubjectId): boolean {
  if (a.format === 'complex' && b.format !== 'complex') return sameSubject(a.user, b);
  if (b.format === 'complex' && a.format !== 'complex') return sameSubject(a, b.user);
  if (a.format !== b.format) return false;
  switch (a.format) {
    case 'iss_sub':
      return b.format === 'iss_sub' && a.iss === b.iss && a.sub === b.sub;
    case 'email':
      return b.format === 'email' && a.email.toLowerCase() === b.email.toLowerCase();
    case 'opaque':
      return b.format === 'opaque' && a.id === b.id;
    case 'complex':
      return b.format === 'complex' && sameSubject(a.user, b.user);
  }
}

/** A subject from a request body, checked member by member (undefined when it is not one). */
export function parseSubject(v: unknown, depth = 0): SubjectId | undefined {
  if (typeof v !== 'object' || v === null || depth > 1) return undefined;
  const o = v as Record<string, unknown>;
  const str = (k: string) =>
    typeof o[k] === 'string' && (o[k] as string).length > 0 && (o[k] as string).length <= 500
      ? (o[k] as string)
      : undefined;
  switch (o.format) {
    case 'iss_sub':
      return str('iss') && str('sub') ? { format: 'iss_sub', iss: str('iss')!, sub: str('sub')! } : undefined;
    case 'email':
      return str('email') && /^[^@\s]+@[^@\s]+$/.test(str('email')!)
        ? { format: 'email', email: str('email')! }
        : undefined;
    case 'opaque':
      return str('id') ? { format: 'opaque', id: str('id')! } : undefined;
    case 'complex': {
      const user = parseSubject(o.user, depth + 1);
      return user ? { format: 'complex', user } : undefined;
    }
    default:
      return undefined;
  }
}
