import fc from 'fast-check';
import { DateTime, Duration } from 'luxon';
import { isTriggerSatisfied } from '../../src/rotation';
import { classifySecret, decideCheckout, decideDue, ScheduleTagError } from '../../src/scheduling/due-time';

const defaults = { interval: Duration.fromISO('P13D'), grace: Duration.fromISO('PT30M') };
const at = (iso: string): DateTime => DateTime.fromISO(iso, { zone: 'utc' });

describe('decideDue', () => {
  it('is due 13 days after the last rotation, counted per secret', () => {
    const d = decideDue(
      { tags: { 'rotated-at': '2026-11-01T08:00:00Z' }, createdOn: new Date('2026-10-01T00:00:00Z') },
      defaults,
      at('2026-11-05T00:00:00Z'),
    );
    expect(d.dueAt.toISO()).toBe('2026-11-14T08:00:00.000Z');
    expect(d.reason).toBe('scheduled');
    expect(d.overdue).toBe(false);
  });

  it('counts from creation when the secret was never rotated, and flags it overdue', () => {
    const d = decideDue(
      { tags: {}, createdOn: new Date('2026-10-01T00:00:00Z') },
      defaults,
      at('2026-11-01T00:00:00Z'),
    );
    expect(d.dueAt.toISO()).toBe('2026-10-14T00:00:00.000Z');
    expect(d.overdue).toBe(true);
  });

  it('honours a per-secret rotation-interval with calendar months ending on month ends', () => {
    const d = decideDue(
      { tags: { 'rotated-at': '2026-01-31T12:00:00Z', 'rotation-interval': 'P1M' }, createdOn: undefined },
      defaults,
      at('2026-02-01T00:00:00Z'),
    );
    expect(d.dueAt.toISO()).toBe('2026-02-28T12:00:00.000Z');
  });

  it('uses UTC arithmetic, so a DST change elsewhere never shifts the due time', () => {
    const d = decideDue(
      { tags: { 'rotated-at': '2026-03-20T01:30:00Z' }, createdOn: undefined },
      defaults,
      at('2026-03-21T00:00:00Z'),
    );
    expect(d.dueAt.toISO()).toBe('2026-04-02T01:30:00.000Z');
  });

  it('forces a rotation at the checkout plus the grace when that comes first', () => {
    const d = decideDue(
      {
        tags: { 'rotated-at': '2026-11-01T00:00:00Z', 'checked-out-at': '2026-11-03T10:00:00Z' },
        createdOn: undefined,
      },
      defaults,
      at('2026-11-03T10:05:00Z'),
    );
    expect(d.reason).toBe('usage');
    expect(d.dueAt.toISO()).toBe('2026-11-03T10:30:00.000Z');
  });

  it('ignores a checkout that a later rotation already satisfied', () => {
    const d = decideDue(
      {
        tags: { 'rotated-at': '2026-11-03T10:10:00Z', 'checked-out-at': '2026-11-03T10:00:00Z' },
        createdOn: undefined,
      },
      defaults,
      at('2026-11-03T10:15:00Z'),
    );
    expect(d.forcedAt).toBeUndefined();
    expect(d.reason).toBe('scheduled');
  });

  it('never puts the due time later than the schedule, whatever the checkout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 * 24 * 60 }), (minutesAfter) => {
        const rotated = at('2026-11-01T00:00:00Z');
        const checkout = rotated.plus({ minutes: minutesAfter });
        const d = decideDue(
          {
            tags: { 'rotated-at': rotated.toISO() as string, 'checked-out-at': checkout.toISO() as string },
            createdOn: undefined,
          },
          defaults,
          checkout,
        );
        expect(d.dueAt <= d.scheduledAt).toBe(true);
        expect(d.dueAt <= checkout.plus(defaults.grace)).toBe(true);
      }),
    );
  });

  it('rejects malformed tags with the tag name and what is allowed', () => {
    const bad = (tags: Record<string, string>): unknown => {
      try {
        decideDue({ tags, createdOn: undefined }, defaults, at('2026-11-01T00:00:00Z'));
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(bad({ 'rotation-interval': 'fortnight' })).toBeInstanceOf(ScheduleTagError);
    expect(String(bad({ 'rotation-interval': 'PT0S' }))).toContain('positive ISO-8601 duration');
    expect(String(bad({ 'rotated-at': 'yesterday' }))).toContain('rotated-at');
  });
});

describe('isTriggerSatisfied', () => {
  it('is satisfied by a rotation at or after the trigger, not before', () => {
    const trigger = at('2026-11-03T10:00:00Z');
    expect(isTriggerSatisfied('2026-11-03T10:00:00Z', trigger)).toBe(true);
    expect(isTriggerSatisfied('2026-11-03T10:00:01Z', trigger)).toBe(true);
    expect(isTriggerSatisfied('2026-11-03T09:59:59Z', trigger)).toBe(false);
    expect(isTriggerSatisfied(undefined, trigger)).toBe(false);
    expect(isTriggerSatisfied('garbage', trigger)).toBe(false);
  });
});

describe('classifySecret', () => {
  const now = at('2026-11-05T00:00:00Z');

  it('tells unmanaged secrets, pending records, misconfigured and managed secrets apart', () => {
    expect(classifySecret({ tags: {}, createdOn: undefined }, defaults, now)).toEqual({ kind: 'unmanaged' });
    const pending = classifySecret(
      { tags: { 'rotation-pending-for': 'svc-a', 'rotation-state': 'prepared' }, createdOn: undefined },
      defaults,
      now,
    );
    expect(pending).toMatchObject({ kind: 'pending-record', pendingFor: 'svc-a', prepared: true });
    const bad = classifySecret(
      { tags: { 'rotation-target': 'keyvault', 'rotation-interval': 'fortnight' }, createdOn: undefined },
      defaults,
      now,
    );
    expect(bad.kind).toBe('misconfigured');
    const good = classifySecret(
      { tags: { 'rotation-target': 'keyvault' }, createdOn: undefined },
      defaults,
      now,
    );
    expect(good.kind === 'managed' && good.due.dueAt.toISO()).toBe('2026-11-18T00:00:00.000Z');
  });
});

describe('decideCheckout', () => {
  const grace = Duration.fromISO('PT30M');
  const created = new Date('2026-11-01T00:00:00Z');

  it('counts from the earliest checkout after the last rotation, and records only a first one', () => {
    const first = decideCheckout({ tags: {}, createdOn: created }, at('2026-11-02T10:00:00Z'), grace);
    expect(first).toMatchObject({ satisfied: false, record: true });
    expect(first.satisfied === false && first.forcedAt.toISO()).toBe('2026-11-02T10:30:00.000Z');
    const later = decideCheckout(
      { tags: { 'checked-out-at': '2026-11-02T10:00:00Z' }, createdOn: created },
      at('2026-11-02T10:20:00Z'),
      grace,
    );
    expect(later).toMatchObject({ satisfied: false, record: false });
    expect(later.satisfied === false && later.forcedAt.toISO()).toBe('2026-11-02T10:30:00.000Z');
  });

  it('is satisfied by a rotation at or after the checkout', () => {
    const tags = { 'rotated-at': '2026-11-02T11:00:00Z' };
    expect(decideCheckout({ tags, createdOn: created }, at('2026-11-02T10:00:00Z'), grace)).toEqual({
      satisfied: true,
    });
  });
});
