/**
 * Rehearses a Dockerfile target without Docker: lays out the target's filesystem under a temp folder from its
 * COPY steps (build-stage outputs map to the repository, whose dist/ is what the build stage's `npm ci`
 * produces), installs production dependencies the way `npm ci --omit=dev` would (links to exactly the
 * production packages of the repository's node_modules), and runs the ENTRYPOINT as written with the
 * image's WORKDIR mapped onto that folder.
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { Stage } from './dockerfile';
import { REPO_ROOT } from './fixtures';

const posix = path.posix;

/** Repository path of a COPY source: the build context, or a build stage's WORKDIR, which is the repo root there. */
function sourceInRepo(source: string, from: Stage | undefined): string {
  if (!from) return path.join(REPO_ROOT, source);
  const absolute = posix.resolve(from.workdir, source);
  const relative = posix.relative(from.workdir, absolute);
  if (relative.startsWith('..')) throw new Error(`COPY --from=${from.name} ${source} reads outside that stage's WORKDIR ${from.workdir}`);
  return path.join(REPO_ROOT, relative);
}

let productionPackagesCache: string[] | undefined;

/** Top-level package folders `npm ci --omit=dev` would install (asked from npm itself). */
function productionPackages(): string[] {
  if (productionPackagesCache) return productionPackagesCache;
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const top = path.join(REPO_ROOT, 'node_modules');
  return (productionPackagesCache = out
    .split('\n')
    .filter(Boolean)
    .filter((p) => {
      const rel = path.relative(top, p);
      const parts = rel.split(path.sep);
      return !rel.startsWith('..') && (parts.length === 1 || (parts.length === 2 && parts[0].startsWith('@')));
    }));
}

function rehearseRun(command: string, root: string): void {
  for (const step of command.split('&&').map((s) => s.trim())) {
    const words = step.split(/\s+/);
    if (words[0] === 'npm' && words[1] === 'ci') {
      if (!words.includes('--omit=dev') || !words.includes('--ignore-scripts')) {
        throw new Error(`runtime "npm ci" must use --omit=dev (no dev dependencies) and --ignore-scripts (prepare would build without sources): ${step}`);
      }
      for (const pkg of productionPackages()) {
        const target = path.join(root, 'node_modules', path.relative(path.join(REPO_ROOT, 'node_modules'), pkg));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.symlinkSync(pkg, target, 'dir');
      }
    } else if (step === 'npm cache clean --force') {
      // nothing to rehearse
    } else {
      throw new Error(`cannot rehearse RUN step "${step}"; teach integration_tests/image-rehearsal.ts what it does`);
    }
  }
}

export interface RehearsedImage {
  root: string;
  /** ENTRYPOINT with the image WORKDIR mapped to `root` and `node` to this Node binary. */
  command: string[];
  env: Record<string, string>;
}

export function rehearseImage(stage: Stage, stages: Map<string, Stage>, root: string): RehearsedImage {
  const workdir = stage.workdir;
  const local = (imagePath: string) => {
    const rel = posix.relative(workdir, imagePath);
    if (rel.startsWith('..')) throw new Error(`${imagePath} is outside the image WORKDIR ${workdir}`);
    return path.join(root, rel);
  };
  for (const copy of stage.copies) {
    const from = copy.from ? stages.get(copy.from) : undefined;
    if (copy.from && !from) throw new Error(`COPY --from=${copy.from}: no such stage`);
    const dest = posix.resolve(copy.workdir, copy.dest);
    for (const source of copy.sources) {
      const src = sourceInRepo(source, from);
      if (!fs.existsSync(src)) throw new Error(`COPY ${copy.from ? `--from=${copy.from} ` : ''}${source}: ${path.relative(REPO_ROOT, src)} does not exist${copy.from ? ' (run the build first)' : ''}`);
      const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
      const target = intoDir && !fs.statSync(src).isDirectory() ? path.join(local(dest), path.basename(src)) : local(dest);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.cpSync(src, target, { recursive: true });
    }
  }
  // stage.runs holds this stage's RUNs and those of the stages it is built FROM, i.e. what ran in this filesystem.
  for (const run of stage.runs) rehearseRun(run, root);
  if (!stage.entrypoint) throw new Error(`stage ${stage.name} has no ENTRYPOINT`);
  const command = stage.entrypoint.map((arg, i) => (i === 0 && arg === 'node' ? process.execPath : arg.startsWith(`${workdir}/`) ? local(arg) : arg));
  return { root, command, env: stage.env };
}

