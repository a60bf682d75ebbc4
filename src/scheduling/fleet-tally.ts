import { OldestSecrets, type AgedSecret } from './oldest-secrets';

/** One managed secret as the last sweep saw it. */
export interface FleetSecret {
  secret: string;
  vault: string;
  /** ISO-8601 UTC of the rotation its schedule counts from. */
  lastRotated: string;
}

/**
 * What a sweep keeps of the fleet it listed: the vaults, how many managed secrets, and the oldest of
 * them, which is all the fleet gauges read. The secrets themselves are not kept: Key Vault is the
 * schedule, and `rotator status` lists it.
 */
export class SweptFleet {
  constructor(
    readonly vaults: readonly string[],
    readonly length: number,
    /** The secrets rotated longest ago, oldest first (OLDEST_KEPT at most). */
    readonly oldest: readonly AgedSecret[],
  ) {}

  /** A fleet given as objects (tests, small fleets); the sweep counts with FleetTally as it lists. */
  static of(secrets: Iterable<FleetSecret>): SweptFleet {
    const tally = new FleetTally([]);
    for (const s of secrets) tally.add(s.vault, s.secret, Date.parse(s.lastRotated));
    return tally.finish();
  }
}

/** Counts the fleet while the sweep lists it, keeping only the oldest secrets, never one object per secret. */
export class FleetTally {
  private readonly vaults: string[];
  private readonly oldest = new OldestSecrets();
  private count = 0;

  constructor(vaults: readonly string[]) {
    this.vaults = [...vaults];
  }

  add(vault: string, secret: string, lastRotatedMs: number): void {
    if (!this.vaults.includes(vault)) this.vaults.push(vault);
    this.oldest.add(secret, vault, lastRotatedMs);
    this.count += 1;
  }

  finish(): SweptFleet {
    return new SweptFleet([...this.vaults], this.count, this.oldest.list());
  }
}
