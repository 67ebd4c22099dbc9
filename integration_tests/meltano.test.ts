/**
 * meltano.yml: both connectors as custom plugins (no pip_url, executable = the npm bin in this checkout),
 * their capabilities as the programs report them, and one setting per spec property with the right kind,
 * secrets sensitive, and settings_group_validation equal to the spec's minimal branches (one per auth method).
 */
import fs from 'fs';
import path from 'path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import { REPO_ROOT, readJson } from './fixtures';
import { flattenSettings, requiredBranches, type FlatSetting } from './spec-settings';
import { runCommand } from './spawn';

const meltano = yaml.load(fs.readFileSync(path.join(REPO_ROOT, 'meltano.yml'), 'utf8')) as any;
const PLUGINS = [
  { type: 'extractors', name: 'tap-braze-currents', connector: 'source-braze-currents', capabilities: ['catalog', 'discover', 'state', 'about', 'test'] },
  { type: 'loaders', name: 'target-mixpanel', connector: 'destination-mixpanel', capabilities: ['about'] },
  { type: 'extractors', name: 'tap-mixpanel-cohorts', connector: 'source-mixpanel-cohorts', capabilities: ['catalog', 'discover', 'state', 'about', 'test'] },
  { type: 'loaders', name: 'target-braze', connector: 'destination-braze', capabilities: ['about'] },
];

/** The Meltano kind a spec property calls for. */
function expectedKind(s: FlatSetting): string {
  const type = [s.schema.type].flat().find((t) => t !== 'null');
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'decimal';
  if (type === 'boolean') return 'boolean';
  if (type === 'object') return 'object';
  if (type === 'array') return 'array';
  if (s.values?.length) return 'options';
  if (s.secret) return 'password';
  if (s.schema.format === 'date-time' || s.schema.format === 'date') return 'date_iso8601';
  return 'string';
}

/** A value satisfying a property's own schema, for building sample configs from a settings group. */
function sampleValue(schema: Record<string, any>): unknown {
  if (schema.examples?.length) return schema.examples[0];
  if (schema.type === 'integer' || schema.type === 'number') return schema.minimum ?? 1;
  if (schema.type === 'boolean') return false;
  return 'x';
}

function configFrom(names: string[], consts: Record<string, unknown>, settings: Map<string, FlatSetting>): Record<string, any> {
  const config: Record<string, any> = {};
  for (const name of names) {
    const keys = name.split('.');
    let node = config;
    for (const k of keys.slice(0, -1)) node = node[k] ??= {};
    node[keys[keys.length - 1]] = name in consts ? consts[name] : sampleValue(settings.get(name)!.schema);
  }
  return config;
}

describe.each(PLUGINS)('meltano.yml: $name', ({ type, name, connector, capabilities }) => {
  const plugin = (meltano.plugins?.[type] ?? []).find((p: any) => p.name === name);
  const spec = readJson(path.join(REPO_ROOT, connector, 'spec.json')).connectionSpecification;
  const flat = new Map(flattenSettings(spec).map((s) => [s.name, s]));

  it('is a custom plugin: namespace, no pip_url, an executable in this checkout that is executable', () => {
    expect(plugin).toBeDefined();
    expect(plugin.namespace).toBe(name.replace(/-/g, '_'));
    expect(plugin.pip_url).toBeUndefined();
    expect(plugin.executable).toContain('/'); // Meltano resolves it against the project root (this repo)
    const file = path.resolve(REPO_ROOT, plugin.executable);
    expect(fs.existsSync(file)).toBe(true);
    expect(() => fs.accessSync(file, fs.constants.X_OK)).not.toThrow();
  });

  it('the executable runs --about (json and markdown), reporting the declared capabilities and the spec as settings', async () => {
    const exe = path.resolve(REPO_ROOT, plugin.executable);
    const json = await runCommand([exe, '--about', '--format', 'json'], { cwd: REPO_ROOT });
    expect(json.code).toBe(0);
    const about = JSON.parse(json.stdout);
    expect(about.name).toBe(name);
    expect(about.capabilities.sort()).toEqual([...capabilities].sort());
    expect([...plugin.capabilities].sort()).toEqual([...capabilities].sort());
    expect(about.settings).toEqual(spec);
    const markdown = await runCommand([exe, '--about', '--format', 'markdown'], { cwd: REPO_ROOT });
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(new RegExp(`^# ${name}`));
    for (const top of Object.keys(spec.properties)) expect(markdown.stdout).toContain(`| ${top} |`);
  });

  it('has exactly one setting per spec property (dotted names), with the kind the property calls for', () => {
    const settings: any[] = plugin.settings;
    expect(settings.map((s) => s.name).sort()).toEqual([...flat.keys()].sort());
    for (const s of settings) {
      const property = flat.get(s.name)!;
      expect([s.name, s.kind ?? 'string']).toEqual([s.name, expectedKind(property)]);
      if (property.values?.length) expect([s.name, s.options.map((o: any) => o.value).sort()]).toEqual([s.name, [...property.values].sort()]);
    }
  });

  it('marks exactly the airbyte_secret properties sensitive, and hides exactly the airbyte_hidden ones', () => {
    for (const s of plugin.settings) {
      const property = flat.get(s.name)!;
      expect([s.name, s.sensitive === true]).toEqual([s.name, property.secret]);
      expect([s.name, s.hidden === true]).toEqual([s.name, property.schema.airbyte_hidden === true]);
    }
  });

  it('defaults equal the spec defaults, and settings inside a oneOf carry none (Meltano would send them for every option)', () => {
    for (const s of plugin.settings) {
      if (s.name.includes('.')) expect([s.name, s.value]).toEqual([s.name, undefined]);
      else expect([s.name, s.value]).toEqual([s.name, flat.get(s.name)!.schema.default]);
    }
  });

  it('settings_group_validation: one group per oneOf branch, each a valid config when filled in', () => {
    const groups: string[][] = plugin.settings_group_validation;
    const branches = requiredBranches(spec);
    expect(groups).toHaveLength(branches.length);
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(spec);
    for (const branch of branches) {
      const group = groups.find((g) => branch.names.every((n) => g.includes(n)) && g.every((n) => flat.has(n)));
      expect([branch.names, group !== undefined]).toEqual([branch.names, true]);
      const config = configFrom(group!, branch.consts, flat);
      expect([group, validate(config) ? [] : validate.errors]).toEqual([group, []]);
    }
  });
});

describe('meltano.yml project', () => {
  it('declares a default environment that exists', () => {
    expect(meltano.version).toBe(1);
    expect(meltano.environments.map((e: any) => e.name)).toContain(meltano.default_environment);
  });
});
