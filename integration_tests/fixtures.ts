/**
 * Where the acceptance fixtures live and how the suite turns them into runnable inputs.
 *
 * The source fixtures point `storage.path` at `fixtures-export`, a folder the suite fills with the
 * sample-export generator (fixed seed and `now`, so the records are byte-stable) inside a fresh temp
 * directory; the config is rewritten there with that path made absolute. Nothing generated lands in the repo.
 * The destination fixtures point `api_host` at a local receiver whose port the suite substitutes.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { REPO_ROOT } from '../test-support/run-cli';
import { defaultCataloguePath, generateSampleExport } from '../tools/sample-export';
import { applySeed, startMixpanelServer } from '../local-services/mixpanel/server';

export { REPO_ROOT };
export const SOURCE_DIR = path.join(REPO_ROOT, 'source-braze-currents');
export const DESTINATION_DIR = path.join(REPO_ROOT, 'destination-mixpanel');
export const SOURCE_FIXTURES = path.join(SOURCE_DIR, 'integration_tests');
export const COHORT_SOURCE_FIXTURES = path.join(REPO_ROOT, 'source-mixpanel-cohorts', 'integration_tests');
export const DESTINATION_FIXTURES = path.join(DESTINATION_DIR, 'integration_tests');
export const BRAZE_DESTINATION_FIXTURES = path.join(REPO_ROOT, 'destination-braze', 'integration_tests');

/** The generated export behind the source fixtures. Changing any of it means regenerating the fixtures (README). */
export const FIXTURE_EXPORT = {
  folder: 'fixtures-export',
  seed: 'acceptance',
  now: '2026-11-01T00:00:00Z',
  hours: 3,
  totalEvents: 40,
  eventsPerFile: 5,
  types: ['users.messages.email.Open', 'users.behaviors.CustomEvent', 'users.behaviors.Purchase', 'users.behaviors.app.SessionStart'],
} as const;

export const readJson = <T = any>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
export const readJsonLines = <T = any>(file: string): T[] =>
  fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);

/** The generator reads the Currents catalogue from ../shared; without it the source acceptance suite cannot run. */
export const fixtureExportAvailable = () => fs.existsSync(defaultCataloguePath());

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `acceptance-${label}-`));
}

export interface SourceWorkspace {
  dir: string;
  /** Stops what the workspace started (e.g. a local server); removes nothing. */
  close?(): Promise<void>;
  exportDir: string;
  /** sample_config.json with storage.path resolved into `dir`. */
  config: string;
  /** A fixture config (path) copied into the workspace with a relative storage.path resolved into `dir`. */
  materialiseConfig(fixture: string): string;
  /** A file in the workspace holding `value` as JSON. */
  file(name: string, value: unknown): string;
}

/** Generates the fixture export into a temp dir and writes the fixture configs next to it. */
export async function sourceWorkspace(): Promise<SourceWorkspace> {
  const dir = tempDir('source');
  const exportDir = path.join(dir, FIXTURE_EXPORT.folder);
  await generateSampleExport({
    out: exportDir,
    seed: FIXTURE_EXPORT.seed,
    now: FIXTURE_EXPORT.now,
    hours: FIXTURE_EXPORT.hours,
    totalEvents: FIXTURE_EXPORT.totalEvents,
    eventsPerFile: FIXTURE_EXPORT.eventsPerFile,
    types: [...FIXTURE_EXPORT.types],
  });
  const file = (name: string, value: unknown) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, JSON.stringify(value, null, 2));
    return target;
  };
  const materialiseConfig = (fixture: string) => file(`config-${path.basename(fixture)}`, withLocalPath(readJson(fixture), dir));
  return { dir, exportDir, config: materialiseConfig(path.join(SOURCE_FIXTURES, 'sample_config.json')), materialiseConfig, file };
}

/** A relative local storage.path is relative to the folder holding the export (the workspace). */
function withLocalPath(config: any, base: string): any {
  if (config?.storage?.type === 'local' && typeof config.storage.path === 'string' && !path.isAbsolute(config.storage.path)) {
    return { ...config, storage: { ...config.storage, path: path.join(base, config.storage.path) } };
  }
  return config;
}

/**
 * The cohort source's fixtures: the local Mixpanel server seeded with integration_tests/seed.json on a free
 * port, and fixture configs rewritten to point api_host at it.
 */
export async function cohortSourceWorkspace(): Promise<SourceWorkspace> {
  const server = await startMixpanelServer();
  applySeed(server.query, readJson(path.join(COHORT_SOURCE_FIXTURES, 'seed.json')));
  const dir = tempDir('cohort-source');
  const file = (name: string, value: unknown) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, JSON.stringify(value, null, 2));
    return target;
  };
  const materialiseConfig = (fixture: string) => file(`config-${path.basename(fixture)}`, { ...readJson<Record<string, unknown>>(fixture), api_host: server.url });
  return { dir, exportDir: dir, config: materialiseConfig(path.join(COHORT_SOURCE_FIXTURES, 'sample_config.json')), materialiseConfig, file, close: () => server.close() };
}

/** A destination fixture config aimed at the local receiver. */
export function destinationConfig(fixture: 'sample_config.json' | 'invalid_config.json', receiverUrl: string): any {
  const config = readJson(path.join(DESTINATION_FIXTURES, fixture));
  return { ...config, api_host: receiverUrl };
}

export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
