import { describeFailure, parseRetryAfter } from './ports';

describe('Retry-After parsing', () => {
  const now = Date.parse('2026-11-29T02:00:00Z');
  it.each([
    ['2', 2000],
    ['0', 0],
    ['1.5', 1500],
    ['Sun, 29 Nov 2026 02:00:05 GMT', 5000],
    ['Sun, 29 Nov 2026 01:59:00 GMT', 0],
  ])('reads %j as %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
  it.each([[null], [undefined], [''], ['soon'], ['-3']])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('provider failure text', () => {
  it('masks token-shaped values a library echoed', () => {
    const text = describeFailure(
      new Error('401 for Authorization: SSWS 00abcDEF123 and Bearer xyz.q and eyJhbGciOi.eyJzdWIi.c2ln'),
    );
    expect(text).toBe('401 for Authorization: SSWS [token] and Bearer [token] and [token]');
  });
});
