import { isRotatorError } from '../../src/errors';
import { formatRetirement, overlapFor, parseRetirement } from '../../src/rotation';
import { intervalOf } from '../../src/rotation/overlap';

const DAY = 24 * 3600 * 1000;
const base = { secretName: 's', intervalMs: 13 * DAY, targetDefaultMs: DAY } as const;

function refusal(fn: () => unknown): { code: string; message: string; permanent: boolean } | undefined {
  try {
    fn();
  } catch (error) {
    if (isRotatorError(error))
      return { code: error.code, message: error.message, permanent: error.permanent };
    throw error;
  }
  return undefined;
}

describe('overlap per reason', () => {
  it('scheduled and manual rotations overlap by the tag, or by the target default', () => {
    expect(overlapFor({ ...base, reason: 'scheduled', tags: {} })).toBe(DAY);
    expect(overlapFor({ ...base, reason: 'manual', tags: { 'rotation-overlap': 'PT6H' } })).toBe(
      6 * 3600 * 1000,
    );
    expect(overlapFor({ ...base, reason: 'scheduled', tags: { 'rotation-overlap': 'PT0S' } })).toBe(0);
  });

  it('a usage rotation never overlaps, whatever the tag says', () => {
    expect(overlapFor({ ...base, reason: 'usage', tags: { 'rotation-overlap': 'P2D' } })).toBe(0);
  });

  it('the default never exceeds half the interval', () => {
    expect(overlapFor({ ...base, intervalMs: 6 * 3600 * 1000, reason: 'scheduled', tags: {} })).toBe(
      3 * 3600 * 1000,
    );
  });

  it('refuses, on the tag, an overlap longer than half the interval, a non-duration, or one on a single-credential target', () => {
    for (const [tags, text] of [
      [{ 'rotation-overlap': 'P7D' }, 'longer than half the rotation interval'],
      [{ 'rotation-overlap': 'tomorrow' }, 'not an ISO-8601 duration'],
    ] as const) {
      const error = refusal(() => overlapFor({ ...base, reason: 'scheduled', tags }));
      expect(error).toMatchObject({ code: 'SECRET_MISCONFIGURED', permanent: true });
      expect(error?.message).toContain('rotation-overlap');
      expect(error?.message).toContain(text);
    }
    const single = refusal(() =>
      overlapFor({
        ...base,
        targetDefaultMs: undefined,
        reason: 'scheduled',
        tags: { 'rotation-overlap': 'PT1H' },
      }),
    );
    expect(single?.message).toContain('holds one credential only');
    // A bad tag is refused even for a usage rotation: it is misconfigured either way.
    expect(
      refusal(() => overlapFor({ ...base, reason: 'usage', tags: { 'rotation-overlap': 'P9D' } }))?.code,
    ).toBe('SECRET_MISCONFIGURED');
  });

  it('takes the interval from rotation-interval when it is valid', () => {
    expect(intervalOf({ 'rotation-interval': 'P2D' }, 13 * DAY)).toBe(2 * DAY);
    expect(intervalOf({ 'rotation-interval': 'nope' }, 13 * DAY)).toBe(13 * DAY);
  });
});

describe('the retirement record in Key Vault', () => {
  it('round-trips and keeps the reason free of separators', () => {
    const raw = formatRetirement({
      state: 'unproven',
      at: '2026-12-01T10:00:00.000Z',
      version: 'abc',
      reason: 'a;b',
    });
    expect(raw.length).toBeLessThanOrEqual(512);
    expect(parseRetirement(raw)).toEqual({
      state: 'unproven',
      at: '2026-12-01T10:00:00.000Z',
      version: 'abc',
      reason: 'a,b',
    });
    expect(parseRetirement('pending;2026-12-01T10:00:00Z;v1')).toEqual({
      state: 'pending',
      at: '2026-12-01T10:00:00Z',
      version: 'v1',
    });
  });

  it('ignores a hand-edited or foreign value', () => {
    for (const raw of ['', 'done', 'pending;yesterday;v', 'proven;2026-12-01T10:00:00Z;']) {
      expect(parseRetirement(raw)).toBeUndefined();
    }
  });
});
