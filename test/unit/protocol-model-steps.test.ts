import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROTATION_STEPS } from '../../src/rotation';

const root = join(__dirname, '..', '..');
const model = readFileSync(join(root, 'model', 'rotation.pml'), 'utf8');
/** The model without its macro definitions: only where steps are taken. */
const body = model
  .split('\n')
  .filter((l) => !l.startsWith('#define'))
  .join('\n');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The names of the model's `mtype = { … }; /* @tag *\/` declaration. */
function declared(tag: string): string[] {
  const line = model.split('\n').find((l) => l.includes(`/* @${tag} */`));
  const names = /\{([^}]*)\}/.exec(line ?? '')?.[1] ?? '';
  return names.split(',').map((n) => n.trim());
}

/** Promela names cannot hold '-': the model writes the code's `overlap-retired` as `overlap_retired`. */
const dashed = (name: string): string => name.replace(/_/g, '-');

function calls(source: string, pattern: RegExp): string[] {
  return [...source.matchAll(pattern)].map((m) => m[1] ?? '');
}

/** All of src/rotation, wherever the steps end up living in it. */
const rotation = readdirSync(join(root, 'src', 'rotation'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => read(join('src', 'rotation', f)))
  .join('\n');

describe('the SPIN model names its steps as the code does', () => {
  it('declares exactly the onStep names, in the order the code passes them', () => {
    expect(declared('onStep').map(dashed)).toEqual([...ROTATION_STEPS]);
  });

  it('walks the rotation through those steps, each of which the code reports', () => {
    const inCode = new Set(calls(rotation, /step\(deps, '([a-z-]+)'/g));
    expect(inCode).toEqual(new Set(ROTATION_STEPS));
    expect(calls(body, /STEP\(([a-z_]+)\)/g).map(dashed)).toEqual([...ROTATION_STEPS]);
  });

  it('models every outcome recovery can reach, under the code’s names', () => {
    const inCode = new Set(calls(rotation, /kind: '([a-z-]+)'/g));
    const inModel = declared('recovery').map((n) => n.replace(/_/g, '-'));
    expect(new Set(inModel)).toEqual(inCode);
    for (const kind of declared('recovery')) expect(body).toContain(`RECOVERY(${kind})`);
  });
});
