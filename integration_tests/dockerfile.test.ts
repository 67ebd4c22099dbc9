/**
 * Dockerfile (DESIGN §8): one image per connector, ENTRYPOINT == AIRBYTE_ENTRYPOINT, labels == metadata.yaml,
 * and the image's filesystem, rehearsed from the Dockerfile itself, really runs `spec` and `check`.
 */
import fs from 'fs';
import path from 'path';
import yaml from 'js-yaml';
import { parseAirbyteOutput, protocolYamlAvailable } from '../test-support/protocol-validator';
import { parseInstructions, resolveStages, type Stage } from './dockerfile';
import { REPO_ROOT, fixtureExportAvailable, readJson, removeDir, sourceWorkspace, tempDir } from './fixtures';
import { rehearseImage } from './image-rehearsal';
import { runCommand } from './spawn';

const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = resolveStages(dockerfile);
const CONNECTORS = ['source-braze-currents', 'destination-mixpanel', 'source-mixpanel-cohorts', 'destination-braze'];
const metadataOf = (connector: string) => (yaml.load(fs.readFileSync(path.join(REPO_ROOT, connector, 'metadata.yaml'), 'utf8')) as any).data;

describe('Dockerfile', () => {
  it('has one build target per connector, built from one shared runtime stage', () => {
    for (const c of CONNECTORS) expect(stages.has(c)).toBe(true);
    for (const c of CONNECTORS) expect([c, stages.get(c)!.base]).toEqual([c, stages.get('source-braze-currents')!.base]);
  });

  it('builds with npm ci (whose prepare script is the build) after copying everything tsconfig compiles', () => {
    const pkg = readJson(path.join(REPO_ROOT, 'package.json'));
    expect(pkg.scripts.prepare).toMatch(/\bnpm run build\b|\btsc\b/);
    const build = [...stages.values()].find((s) => s.runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')));
    expect(build).toBeDefined();
    const copied = new Set(build!.copies.filter((c) => !c.from).flatMap((c) => c.sources));
    expect(copied.has('tsconfig.json')).toBe(true);
    const tsconfig = readJson(path.join(REPO_ROOT, 'tsconfig.json'));
    for (const pattern of tsconfig.include as string[]) {
      const folder = pattern.split('/')[0];
      if (fs.existsSync(path.join(REPO_ROOT, folder))) expect([folder, copied.has(folder)]).toEqual([folder, true]);
    }
  });

  it('every file or folder it copies from the build context exists', () => {
    const sources = [...stages.values()].flatMap((s) => s.copies.filter((c) => !c.from).flatMap((c) => c.sources));
    for (const source of new Set(sources)) expect([source, fs.existsSync(path.join(REPO_ROOT, source))]).toEqual([source, true]);
  });

  it('copies nothing that .dockerignore leaves out of the build context', () => {
    const ignored = fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const toRegex = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}(?:/.*)?$`);
    const sources = [...stages.values()].flatMap((s) => s.copies.filter((c) => !c.from).flatMap((c) => c.sources));
    for (const source of sources) {
      const hit = ignored.find((p) => toRegex(p).test(source.replace(/^\.\//, '')));
      expect([source, hit]).toEqual([source, undefined]);
    }
  });

  describe.each(CONNECTORS)('%s image', (connector) => {
    let stage: Stage;
    beforeAll(() => {
      stage = stages.get(connector)!;
    });

    it('ENTRYPOINT (exec form) equals ENV AIRBYTE_ENTRYPOINT and names this connector', () => {
      expect(stage.entrypoint).toBeDefined();
      expect(stage.env.AIRBYTE_ENTRYPOINT).toBe(stage.entrypoint!.join(' '));
      expect(stage.entrypoint![stage.entrypoint!.length - 1]).toBe(`${stage.workdir}/bin/${connector}`);
      expect(stage.workdir).toBe('/airbyte/integration_code');
    });

    it('labels io.airbyte.name / io.airbyte.version match metadata.yaml', () => {
      const meta = metadataOf(connector);
      expect(stage.labels['io.airbyte.name']).toBe(meta.dockerRepository);
      expect(stage.labels['io.airbyte.version']).toBe(String(meta.dockerImageTag));
    });

    const maybe = protocolYamlAvailable() ? it : it.skip;
    maybe('the rehearsed image runs its entrypoint: `spec` prints the connector spec', async () => {
      const root = tempDir(`image-${connector}`);
      try {
        const image = rehearseImage(stage, stages, root);
        const result = await runCommand([...image.command, 'spec'], { cwd: root, env: image.env });
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        const messages = parseAirbyteOutput(result.stdout);
        expect(messages.map((m) => m.type)).toEqual(['SPEC']);
        expect(messages[0].spec).toEqual(readJson(path.join(REPO_ROOT, connector, 'spec.json')));
      } finally {
        removeDir(root);
      }
    });
  });

  const withExport = fixtureExportAvailable() && protocolYamlAvailable() ? it : it.skip;
  withExport('the rehearsed source image reads its stream schemas: `check` and `discover` succeed on the fixture export', async () => {
    const root = tempDir('image-source-check');
    const ws = await sourceWorkspace();
    try {
      const image = rehearseImage(stages.get('source-braze-currents')!, stages, root);
      const check = parseAirbyteOutput((await runCommand([...image.command, 'check', '--config', ws.config], { cwd: root, env: image.env })).stdout);
      expect(check.filter((m) => m.type === 'CONNECTION_STATUS').map((m) => m.connectionStatus.status)).toEqual(['SUCCEEDED']);
      const discover = parseAirbyteOutput((await runCommand([...image.command, 'discover', '--config', ws.config], { cwd: root, env: image.env })).stdout);
      expect(discover.find((m) => m.type === 'CATALOG')!.catalog.streams.length).toBeGreaterThanOrEqual(100);
    } finally {
      removeDir(root);
      removeDir(ws.dir);
    }
  });
});

describe('Dockerfile reader', () => {
  it('joins continuations, drops comments and inherits ENV/LABEL/ENTRYPOINT from the parent stage', () => {
    const text = ['# c', 'FROM node:20 AS base', 'WORKDIR /app', 'ENV A="x y" \\', '    B=2', 'ENTRYPOINT ["node", "/app/x"]', 'FROM base AS child', 'LABEL k=v'].join('\n');
    expect(parseInstructions(text).map((i) => i.keyword)).toEqual(['FROM', 'WORKDIR', 'ENV', 'ENTRYPOINT', 'FROM', 'LABEL']);
    const child = resolveStages(text).get('child')!;
    expect(child).toMatchObject({ workdir: '/app', env: { A: 'x y', B: '2' }, labels: { k: 'v' }, entrypoint: ['node', '/app/x'] });
  });

  it('rejects a shell-form ENTRYPOINT (Airbyte passes the verb as arguments)', () => {
    expect(() => resolveStages('FROM x AS y\nENTRYPOINT node /app/x')).toThrow(/exec form/);
  });
});
