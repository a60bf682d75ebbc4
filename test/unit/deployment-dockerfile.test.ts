import { validate } from 'dockerfile-utils';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO_ROOT,
  commandWords,
  dockerInstructions,
  finalStage,
  repoFile,
  type DockerInstruction,
} from '../support/deployment-files';
import { imageNodeOptions, launcherNodeFlags } from '../../tools/bench/sweep-scale';

const dockerfile = repoFile('Dockerfile');
const instructions = dockerInstructions(dockerfile);
const runtime = finalStage(instructions);
const ERROR = 1;

function last(stage: DockerInstruction[], keyword: string): DockerInstruction | undefined {
  return stage.filter((i) => i.keyword === keyword).pop();
}

describe('Dockerfile', () => {
  it('passes dockerfile-utils validation with no errors', () => {
    const errors = validate(dockerfile).filter((d) => d.severity === ERROR);
    expect(
      errors.map(
        (e) => `${e.range.start.line + 1}: ${typeof e.message === 'string' ? e.message : e.message.value}`,
      ),
    ).toEqual([]);
  });

  it('the validation does flag a broken Dockerfile (so a pass means something)', () => {
    expect(
      validate('FROM node:22\nHEALTHCHECK --bogus=1 CMD true\nUSER\n').some((d) => d.severity === ERROR),
    ).toBe(true);
  });

  it('runs every command with a small young generation, the NODE_OPTIONS the bench measures the daemon with', () => {
    const env = runtime
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/NODE_OPTIONS=--max-semi-space-size=1\b/);
    expect(imageNodeOptions(REPO_ROOT)).toBe('--max-semi-space-size=1');
  });

  it('starts node through the launcher with --optimize-for-size, the flags the bench runs the daemon with', () => {
    expect(readFileSync(join(REPO_ROOT, 'bin', 'rotator.js'), 'utf8').split('\n')[0]).toBe(
      '#!/usr/bin/env -S node --optimize-for-size',
    );
    expect(launcherNodeFlags(REPO_ROOT)).toEqual(['--optimize-for-size']);
  });

  it('builds in one stage with dev dependencies and runs with production ones only', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(instructions.some((i) => i.keyword === 'RUN' && /npm ci(?![^&]*--omit=dev)/.test(i.args))).toBe(
      true,
    );
    expect(instructions.some((i) => i.keyword === 'RUN' && /npm ci [^&]*--omit=dev/.test(i.args))).toBe(true);
    const copiedModules = runtime.filter((i) => i.keyword === 'COPY' && i.args.includes('node_modules'));
    expect(copiedModules).toHaveLength(1);
    const source = /--from=(\S+)/.exec(copiedModules[0]?.args ?? '')?.[1];
    const sourceStage = froms.find((f) => new RegExp(`\\bAS ${source ?? '-'}$`, 'i').test(f.args));
    const stageStart = instructions.indexOf(sourceStage as DockerInstruction);
    const stageRuns = instructions.slice(stageStart + 1).filter((i, n, all) => {
      const nextFrom = all.findIndex((j) => j.keyword === 'FROM');
      return i.keyword === 'RUN' && (nextFrom === -1 || n < nextFrom);
    });
    expect(stageRuns.map((r) => r.args).join(' ')).toContain('--omit=dev');
  });

  it('runs on a slim or distroless Node.js 24 LTS image, as engines says', () => {
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    const image = arg?.args.split('=')[1] ?? '';
    expect(image).toMatch(/^(node:24-[a-z]+-slim|gcr\.io\/distroless\/nodejs24)/);
    expect(runtime[0]?.args).toMatch(/^\$\{NODE_IMAGE\}/);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toMatch(/^>=24\./);
  });

  it('runs as a numeric non-root user', () => {
    const user = last(runtime, 'USER')?.args.trim() ?? 'root';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(user.split(':')[0]).not.toBe('0');
  });

  it('has an init process and runs `rotator daemon`', () => {
    const entrypoint = commandWords(last(runtime, 'ENTRYPOINT')?.args ?? '[]');
    const cmd = commandWords(last(runtime, 'CMD')?.args ?? '[]');
    expect(entrypoint[0]).toMatch(/tini$/);
    const command = [...entrypoint, ...cmd].join(' ');
    expect(command).toMatch(/\brotator daemon$/);
    expect(
      runtime.some(
        (i) => i.keyword === 'RUN' && /ln -s \/app\/bin\/rotator\.js \/usr\/local\/bin\/rotator/.test(i.args),
      ),
    ).toBe(true);
  });

  it('checks /healthz on the health port in HEALTHCHECK', () => {
    const healthcheck = last(runtime, 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toContain('/healthz');
    expect(healthcheck).toContain('ROTATOR_HEALTH_PORT');
  });

  it('writes nowhere but /tmp: TMPDIR is /tmp, declared a volume, and code is not owned by the runtime user', () => {
    expect(runtime.some((i) => i.keyword === 'ENV' && /TMPDIR=\/tmp\b/.test(i.args))).toBe(true);
    expect(runtime.some((i) => i.keyword === 'VOLUME' && i.args.includes('/tmp'))).toBe(true);
    expect(runtime.filter((i) => i.keyword === 'COPY' && i.args.includes('--chown'))).toEqual([]);
  });

  it('.dockerignore lets in exactly what the Dockerfile copies from the context', () => {
    const ignore = repoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const copied = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(copied.filter((c) => !allowed.includes(c))).toEqual([]);
  });
});
