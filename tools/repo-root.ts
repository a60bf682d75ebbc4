import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The checkout's root, found from here whether the tools run from their sources (jest) or from
 * build/tools (npm run demo, npm run bench): the nearest folder above that holds package.json.
 */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}
