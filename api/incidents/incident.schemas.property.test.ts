/**
 * The API's request schemas over arbitrary input (fast-check): the validation pipe either returns
 * the parsed value or a 400 whose message names a field, never anything else; and every request a
 * client may legitimately send is accepted unchanged.
 */
import { BadRequestException } from '@nestjs/common';
import fc from 'fast-check';
import { PLAYBOOKS, PROVIDERS, SEVERITIES } from '../../domain/incident';
import { ZodPipe } from '../common/validation';
import { closeIncidentSchema, decideApprovalSchema, openIncidentSchema } from './incident.schemas';

const pipes = {
  open: new ZodPipe(openIncidentSchema),
  decide: new ZodPipe(decideApprovalSchema),
  close: new ZodPipe(closeIncidentSchema),
};

function outcome(pipe: ZodPipe<never>, input: unknown): 'ok' | 'bad-request' {
  try {
    pipe.transform(input);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestException);
    const body = (err as BadRequestException).getResponse() as {
      message: string;
      issues: { path: string }[];
    };
    expect(body.message).toMatch(/^request is invalid: /);
    expect(body.issues.length).toBeGreaterThan(0);
    expect(body.message.length).toBeLessThan(5000);
    return 'bad-request';
  }
}

const word = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/);
const validOpen = fc.record(
  {
    playbook: fc.constantFrom(...PLAYBOOKS),
    principal: fc.record({ provider: fc.constantFrom(...PROVIDERS), realm: word, username: word }),
    severity: fc.constantFrom(...SEVERITIES),
    summary: word,
    source: word,
    alertId: word,
    suspectTokens: fc.array(fc.string({ minLength: 16, maxLength: 64 }), { maxLength: 3 }),
  },
  { requiredKeys: ['playbook', 'principal', 'severity', 'summary', 'source'] },
);

describe('request schema properties', () => {
  it('answers any JSON with the parsed value or a 400 naming what is wrong', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('open', 'decide', 'close'),
        fc.jsonValue({ maxDepth: 4 }),
        (which, input) => {
          outcome(pipes[which as keyof typeof pipes] as ZodPipe<never>, input);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepts every well-formed incident request unchanged', () => {
    fc.assert(
      fc.property(validOpen, (req) => {
        expect(pipes.open.transform(req)).toEqual(req);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a well-formed request with any one field broken, naming that field', () => {
    const FIELDS = ['playbook', 'principal', 'severity', 'summary', 'alertId'] as const;
    fc.assert(
      fc.property(
        validOpen,
        fc.constantFrom(...FIELDS),
        fc.constantFrom(42, null, [], {}, '', ' '),
        (req, field, junk) => {
          const broken = { ...req, [field]: junk };
          let named = false;
          try {
            pipes.open.transform(broken);
          } catch (err) {
            const body = (err as BadRequestException).getResponse() as { issues: { path: string }[] };
            named = body.issues.some((i) => i.path === field || i.path.startsWith(`${field}.`));
          }
          expect(named).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
