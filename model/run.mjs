#!/usr/bin/env node
// npm run model: checks model/rotation.pml exhaustively with SPIN (spin -a, gcc, ./pan) — the protocol
// as the code runs it, for a target holding one password and one holding several, and each control
// switch, which must produce a counterexample (else the model proves nothing). Prints one summary line;
// exits 1 if the protocol has an error or a control has none, 2 if spin or gcc is missing.
// Generated files go to a temporary directory. `--keep` leaves it (with any .trail) and prints its path.
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const MODEL = join(dirname(fileURLToPath(import.meta.url)), 'rotation.pml');
// The bounds every run uses: 2 workers, 2 jobs each (retries and duplicates of any trigger), 2 crashes,
// 2 lease losses (expiry while slow, or Redis lost), 2 triggers, then one quiet run.
const BOUNDS = ['-DNW=2', '-DMAXRUNS=2', '-DMAXCRASH=2', '-DMAXLOST=2', '-DMAXTRIG=2'];
const RUNS = [
  { name: 'one-password', defines: [], expect: 'proof' },
  { name: 'several-credentials', defines: ['-DTARGET_MULTI'], expect: 'proof' },
  // REVERSE only changes the search order (latest process first): it reaches these counterexamples in a
  // fraction of a second instead of ~10 s; the exhaustive runs above do not depend on the order.
  { name: 'unsound-verify', defines: ['-DUNSOUND_VERIFY'], expect: 'counterexample', order: ['-DREVERSE'] },
  { name: 'commit-unfenced', defines: ['-DCOMMIT_UNFENCED'], expect: 'counterexample', order: ['-DREVERSE'] },
  // Each remaining part of the fencing left out: every one was a counterexample on the way.
  {
    name: 'recovery-unclaimed',
    defines: ['-DRECOVERY_UNCLAIMED'],
    expect: 'counterexample',
    order: ['-DREVERSE'],
  },
  {
    name: 'prepare-unfenced',
    defines: ['-DPREPARE_UNFENCED'],
    expect: 'counterexample',
    order: ['-DREVERSE'],
  },
  {
    name: 'current-not-reread',
    defines: ['-DCURRENT_NOT_REREAD'],
    expect: 'counterexample',
    order: ['-DREVERSE'],
  },
];

function have(tool) {
  return spawnSync(tool, ['-V'], { stdio: 'ignore' }).error === undefined;
}

const exec = promisify(execFile);

/** Runs one configuration in its own directory; returns states stored and errors found. */
async function check(root, run) {
  const dir = join(root, run.name);
  mkdirSync(dir);
  copyFileSync(MODEL, join(dir, 'rotation.pml'));
  const defines = [...BOUNDS, ...run.defines];
  await exec('spin', [...defines, '-a', 'rotation.pml'], { cwd: dir });
  // SAFETY: assertions only (the properties are safety properties); COLLAPSE: ~3x less memory.
  const order = run.order ?? [];
  await exec('gcc', ['-O2', '-DSAFETY', '-DCOLLAPSE', ...order, '-w', '-o', 'pan', 'pan.c'], { cwd: dir });
  // pan exits 0 with or without errors: its report is the result.
  const pan = await exec('./pan', ['-m10000'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  const out = `${pan.stdout}${pan.stderr}`;
  const errors = Number(/errors: (\d+)/.exec(out)?.[1] ?? NaN);
  const states = Number(/(\d+) states, stored/.exec(out)?.[1] ?? NaN);
  if (/depth too small|max search depth too small/i.test(out))
    throw new Error(`${run.name}: pan's -m too small`);
  if (Number.isNaN(errors) || Number.isNaN(states))
    throw new Error(`${run.name}: no result from pan:\n${out}`);
  const trail =
    errors > 0
      ? spawnSync('spin', [...defines, '-t', 'rotation.pml'], { cwd: dir, encoding: 'utf8' })
          .stdout.split('\n')
          .filter((line) => /MSC:|assertion violated/.test(line))
          .map((line) => line.trim())
      : [];
  return { ...run, errors, states, trail };
}

async function main() {
  if (!have('spin') || !have('gcc')) {
    process.stderr.write(
      'model: spin and gcc are needed (apt-get install spin gcc; .ci/run installs them)\n',
    );
    return 2;
  }
  const keep = process.argv.includes('--keep');
  const root = mkdtempSync(join(tmpdir(), 'rotator-model-'));
  const started = Date.now();
  try {
    // Two at a time (two cores here; ~0.5 GB of states each).
    const results = [];
    for (let i = 0; i < RUNS.length; i += 2)
      results.push(...(await Promise.all(RUNS.slice(i, i + 2).map((r) => check(root, r)))));
    const proofs = results.filter((r) => r.expect === 'proof');
    const controls = results.filter((r) => r.expect === 'counterexample');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const states = proofs.reduce((sum, r) => sum + r.states, 0);
    const errors = proofs.reduce((sum, r) => sum + r.errors, 0);
    const found = controls.map((r) => `${r.name} ${r.errors > 0 ? 'yes' : 'NO'}`).join(', ');
    process.stdout.write(
      `model: protocol ${states} states explored (${proofs.map((r) => `${r.name} ${r.states}`).join(', ')}; ` +
        `2 workers, crashes, lease loss, Redis loss, job retries), errors ${errors}; ` +
        `control counterexample found: ${found}; ${seconds} s\n`,
    );
    for (const r of proofs.filter((p) => p.errors > 0))
      process.stderr.write(`model: counterexample in ${r.name}:\n  ${r.trail.join('\n  ')}\n`);
    if (keep) process.stderr.write(`model: files kept in ${root}\n`);
    return errors === 0 && controls.every((r) => r.errors > 0) ? 0 : 1;
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
