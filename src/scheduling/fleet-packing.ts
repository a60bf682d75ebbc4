import { createGzip, gunzipSync, gzipSync } from 'node:zlib';

/** One managed secret as the last sweep saw it. */
export interface FleetSecret {
  secret: string;
  vault: string;
  /** ISO-8601 UTC of the rotation its schedule counts from. */
  lastRotated: string;
}

/** The secrets of a snapshot: an array, or packed (what the sweep writes and every replica reads). */
export interface FleetSecrets extends Iterable<FleetSecret> {
  readonly length: number;
}

/** Text is handed to the compressor in pieces this large: fewer stream writes, little held. */
const FLUSH_AT = 64 * 1024;

/** One line per secret: vault index, last rotation in epoch ms, name (a name has no tab or newline). */
function line(vaultIndex: number, lastRotatedMs: number, secret: string): string {
  return `${vaultIndex}\t${lastRotatedMs}\t${secret}\n`;
}

/**
 * The fleet's secrets as gzip-compressed lines (~10 B a secret instead of ~90 B of JSON), decoded one
 * at a time when iterated: a replica exporting the gauges never holds the fleet as objects.
 */
export class PackedFleet implements FleetSecrets {
  constructor(
    readonly vaults: readonly string[],
    readonly length: number,
    readonly body: Buffer,
  ) {}

  /** Packs secrets given as objects (tests, small fleets); the sweep streams with FleetPacker instead. */
  static of(secrets: Iterable<FleetSecret>): PackedFleet {
    const vaults: string[] = [];
    let text = '';
    let count = 0;
    for (const s of secrets) {
      let index = vaults.indexOf(s.vault);
      if (index < 0) index = vaults.push(s.vault) - 1;
      text += line(index, Date.parse(s.lastRotated), s.secret);
      count += 1;
    }
    return new PackedFleet(vaults, count, gzipSync(text));
  }

  *[Symbol.iterator](): Iterator<FleetSecret> {
    if (this.length === 0) return;
    const text = gunzipSync(this.body).toString('utf8');
    for (let start = 0; start < text.length;) {
      const end = text.indexOf('\n', start);
      const stop = end < 0 ? text.length : end;
      const [vault, ms, secret] = text.slice(start, stop).split('\t');
      start = stop + 1;
      const at = Number(ms);
      const url = this.vaults[Number(vault)];
      if (url === undefined || secret === undefined || !Number.isFinite(at)) continue;
      yield { secret, vault: url, lastRotated: new Date(at).toISOString() };
    }
  }
}

/**
 * Builds a PackedFleet while the sweep lists: each secret is compressed as it is added, so what the
 * sweep holds is the compressed text, not one object per secret.
 */
export class FleetPacker {
  private readonly gzip = createGzip({ level: 6 });
  private readonly chunks: Buffer[] = [];
  private readonly vaultIndex = new Map<string, number>();
  private readonly done: Promise<void>;
  private pending = '';
  private count = 0;

  constructor(vaults: readonly string[]) {
    vaults.forEach((vault, i) => this.vaultIndex.set(vault, i));
    this.gzip.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.done = new Promise((resolve, reject) => {
      this.gzip.once('end', resolve);
      this.gzip.once('error', reject);
    });
  }

  add(vault: string, secret: string, lastRotatedMs: number): void {
    let index = this.vaultIndex.get(vault);
    if (index === undefined) {
      index = this.vaultIndex.size;
      this.vaultIndex.set(vault, index);
    }
    this.pending += line(index, lastRotatedMs, secret);
    this.count += 1;
    if (this.pending.length >= FLUSH_AT) this.flush();
  }

  async finish(): Promise<PackedFleet> {
    this.flush();
    this.gzip.end();
    await this.done;
    return new PackedFleet([...this.vaultIndex.keys()], this.count, Buffer.concat(this.chunks));
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.gzip.write(this.pending);
    this.pending = '';
  }
}
