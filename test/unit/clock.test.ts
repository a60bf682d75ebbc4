import { ManualClock } from '../../src/clock';

describe('ManualClock', () => {
  it('advances by ISO durations in UTC, month ends included', () => {
    const clock = new ManualClock('2026-01-31T12:00:00Z');
    clock.advance('P1M');
    expect(clock.now().toISO()).toBe('2026-02-28T12:00:00.000Z');
    clock.advance('PT30M');
    expect(clock.now().toISO()).toBe('2026-02-28T12:30:00.000Z');
  });

  it('refuses a malformed duration', () => {
    expect(() => new ManualClock('2026-01-01T00:00:00Z').advance('soon')).toThrow('ISO-8601');
  });
});
