import fc from 'fast-check';
import type { RecordedAlert } from '../../workflows/detector';
import { timeIdCursor } from '../common/cursor';
import { pageAlerts } from './events.service';

const alert = (id: string, time: string, severity = 'high'): RecordedAlert =>
  ({ id, time, rule: 'failed-login-burst', severity, summary: id, eventIds: [] }) as unknown as RecordedAlert;

describe('alert pages', () => {
  it('walks every matching alert once, newest first, whatever the page size (ties in time included)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 5 })), {
          selector: (t) => t[0],
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 7 }),
        (specs, limit) => {
          const all = specs.map(([id, t]) => alert(id, `2026-12-01T00:00:0${t}Z`));
          const walked: RecordedAlert[] = [];
          let after: { time: string; id: string } | undefined;
          for (let i = 0; i < 100; i++) {
            const page = pageAlerts(all, { limit }, after);
            walked.push(...page.alerts);
            if (!page.nextCursor) break;
            after = timeIdCursor.decode(page.nextCursor);
          }
          expect(walked.map((a) => a.id).sort()).toEqual(all.map((a) => a.id).sort());
          for (let i = 1; i < walked.length; i++) expect(walked[i - 1].time >= walked[i].time).toBe(true);
        },
      ),
    );
  });

  it('filters before paging and refuses a cursor it did not give', () => {
    const all = [alert('a', '2026-12-01T00:00:01Z', 'low'), alert('b', '2026-12-01T00:00:02Z')];
    expect(pageAlerts(all, { limit: 5, severity: 'low' }).alerts.map((a) => a.id)).toEqual(['a']);
    expect(() => timeIdCursor.decode('AAAA')).toThrow('cursor');
    expect(() => timeIdCursor.decode(Buffer.from('[1,2]').toString('base64url'))).toThrow('cursor');
  });
});
