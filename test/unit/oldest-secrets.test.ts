import { FleetTally, SweptFleet } from '../../src/scheduling/fleet-tally';
import { OldestSecrets } from '../../src/scheduling/oldest-secrets';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('the oldest secrets of a fleet, kept while it is packed', () => {
  it('keeps exactly the oldest, oldest first, whatever order they come in', () => {
    const oldest = new OldestSecrets(5);
    // 997 is prime: k * 389 mod 997 visits every age once, in no order of age.
    for (let k = 0; k < 997; k++) {
      const minutes = (k * 389) % 997;
      oldest.add(`s-${minutes}`, 'https://kv.test', T0 - minutes * 60_000);
    }
    expect(oldest.list().map((s) => s.secret)).toEqual(['s-996', 's-995', 's-994', 's-993', 's-992']);
  });

  it('keeps all of a fleet smaller than its limit, and none with a limit of 0', () => {
    const few = new OldestSecrets(5);
    few.add('b', 'v', T0 + 1);
    few.add('a', 'v', T0);
    expect(few.list().map((s) => s.secret)).toEqual(['a', 'b']);
    const none = new OldestSecrets(0);
    none.add('a', 'v', T0);
    expect(none.list()).toEqual([]);
  });

  it('is what the sweep’s tally and the tally of a plain list both keep', () => {
    const secrets = Array.from({ length: 2_500 }, (_, k) => {
      const minutes = (k * 7) % 2_500;
      return { secret: `s-${minutes}`, vault: 'https://kv.test', lastRotatedMs: T0 - minutes * 60_000 };
    });
    const tally = new FleetTally(['https://kv.test']);
    for (const s of secrets) tally.add(s.vault, s.secret, s.lastRotatedMs);
    const streamed = tally.finish();
    const listed = SweptFleet.of(
      secrets.map((s) => ({ ...s, lastRotated: new Date(s.lastRotatedMs).toISOString() })),
    );
    expect(streamed.oldest).toHaveLength(1_000);
    expect(streamed.oldest[0]?.secret).toBe('s-2499');
    expect(streamed.oldest[999]?.secret).toBe('s-1500');
    expect(listed.oldest).toEqual(streamed.oldest);
    expect(streamed.length).toBe(2_500);
  });
});
