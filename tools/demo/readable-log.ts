import { Writable } from 'node:stream';

/** Fields worth a human's eye in the demo; everything else stays in the JSON logs of the real daemon. */
const SHOWN = [
  'secret',
  'reason',
  'outcome',
  'rotationId',
  'actor',
  'forcedAt',
  'code',
  'managed',
  'overdue',
  'forced',
  'recovering',
];

function clock(iso: unknown): string {
  return typeof iso === 'string' ? iso.slice(11, 19) : '--:--:--';
}

/** Turns the daemon's JSON log lines into one readable line each, for a person watching the demo. */
export function readableLog(out: NodeJS.WritableStream): Writable {
  let buffered = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          const fields = SHOWN.filter((k) => entry[k] !== undefined)
            .map((k) => `${k}=${String(entry[k])}`)
            .join(' ');
          const level = entry.level === 'info' ? '' : `${String(entry.level).toUpperCase()} `;
          out.write(`${clock(entry.time)} ${level}${String(entry.msg)}${fields ? `  ${fields}` : ''}\n`);
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
}
