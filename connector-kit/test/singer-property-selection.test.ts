/**
 * Singer property-level selection: the catalog's `["properties", name]` metadata decides which top-level
 * fields the tap emits (SCHEMA and RECORD), and streams with deselected fields leave the record-lines fast path.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { propertyIsSelected, selectedStreams, type SingerCatalog, type SingerStream } from '../singer';
import { runNodeScript, writeTempJson } from '../../test-support/run-cli';

const SOURCE = 'dist/connector-kit/test/fixtures/counting-source.js';
const singer = { KIT_MODE: 'singer' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-select-'));

const schema = { type: 'object', properties: { id: { type: 'string' }, a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } }, required: ['id', 'a', 'b'] };

function stream(name: string, properties: Record<string, object>, selected = true): SingerStream {
  return {
    tap_stream_id: name,
    stream: name,
    schema,
    metadata: [
      { breadcrumb: [], metadata: { selected } },
      ...Object.entries(properties).map(([p, metadata]) => ({ breadcrumb: ['properties', p], metadata: metadata as Record<string, unknown> })),
    ],
  };
}

describe('the Singer property rule', () => {
  it.each([
    [{ inclusion: 'automatic', selected: false }, true],
    [{ inclusion: 'automatic', 'selected-by-default': false }, true],
    [{ inclusion: 'unsupported', selected: true }, false],
    [{ inclusion: 'unsupported' }, false],
    [{ inclusion: 'available', selected: true, 'selected-by-default': false }, true],
    [{ inclusion: 'available', selected: false, 'selected-by-default': true }, false],
    [{ inclusion: 'available', 'selected-by-default': false }, false],
    [{ inclusion: 'available', 'selected-by-default': true }, true],
    [{ inclusion: 'available' }, true],
    [{}, true],
  ])('%j → selected %s', (metadata, expected) => {
    expect(propertyIsSelected(metadata)).toBe(expected);
  });
});

describe('selectedStreams with property metadata', () => {
  it('prunes deselected properties from the schema (properties and required) and reports them per stream', () => {
    const catalog: SingerCatalog = {
      streams: [
        stream('s', { id: { inclusion: 'automatic', selected: false }, a: { inclusion: 'available', selected: false }, b: { inclusion: 'available', 'selected-by-default': false }, c: { inclusion: 'unsupported' } }),
        stream('untouched', { id: { inclusion: 'automatic' }, a: { inclusion: 'available', selected: true } }),
        stream('unselected', { a: { inclusion: 'available', selected: false } }, false),
      ],
    };
    const { catalog: configured, excluded } = selectedStreams(catalog, { streams: [] });
    expect(configured.streams.map((s) => s.stream.name)).toEqual(['s', 'untouched']);
    expect(excluded).toEqual(new Map([['s', new Set(['a', 'b', 'c'])]]));
    expect(configured.streams[0].stream.json_schema).toEqual({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] });
    expect(configured.streams[1].stream.json_schema).toBe(schema);
  });

  it('keeps properties without breadcrumb metadata, ignores nested breadcrumbs, and drops an emptied `required`', () => {
    const s = stream('s', { id: { inclusion: 'available', selected: false } });
    s.metadata!.push({ breadcrumb: ['properties', 'a', 'properties', 'x'], metadata: { selected: false } });
    const { catalog, excluded } = selectedStreams({ streams: [{ ...s, schema: { ...schema, required: ['id'] } }] }, { streams: [] });
    expect(excluded.get('s')).toEqual(new Set(['id']));
    expect(catalog.streams[0].stream.json_schema).toEqual({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } } });
  });

  it('also excludes a deselected property the schema does not list (records may carry it)', () => {
    const { excluded } = selectedStreams({ streams: [stream('s', { later: { inclusion: 'available', selected: false } })] }, { streams: [] });
    expect(excluded.get('s')).toEqual(new Set(['later']));
  });
});

describe('the tap with property selection', () => {
  /** The fixture's discovered catalog with both streams selected; `n` deselected in beta when asked. */
  async function catalogFile(deselectBetaN: boolean): Promise<string> {
    const config = writeTempJson(`config-${Math.random()}.json`, { api_key: 'good-key-123', auth: { method: 'none' } }, dir);
    const discovered = JSON.parse((await runNodeScript(SOURCE, ['--config', config, '--discover'], { env: singer })).stdout);
    for (const s of discovered.streams) {
      for (const m of s.metadata) {
        if (m.breadcrumb.length === 0) m.metadata.selected = true;
        if (deselectBetaN && s.stream === 'beta' && m.breadcrumb[1] === 'n') m.metadata.selected = false;
        if (s.stream === 'beta' && m.breadcrumb[1] === 'id') m.metadata.selected = false; // automatic: stays
      }
    }
    return writeTempJson(`catalog-${Math.random()}.json`, discovered, dir);
  }

  async function tap(catalog: string, recordLines: string) {
    const config = writeTempJson(`config-${Math.random()}.json`, { api_key: 'good-key-123', auth: { method: 'none' }, records: 3, record_lines: recordLines }, dir);
    const run = await runNodeScript(SOURCE, ['--config', config, '--catalog', catalog], { env: singer });
    return { ...run, messages: run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
  }

  const recordsOf = (messages: { type: string; stream: string; record: object }[], name: string) => messages.filter((m) => m.type === 'RECORD' && m.stream === name).map((m) => m.record);

  it('drops deselected fields from SCHEMA and RECORD of that stream only; that stream leaves the line path', async () => {
    const run = await tap(await catalogFile(true), 'when_accepted');
    expect(run.code).toBe(0);
    const schemas = Object.fromEntries(run.messages.filter((m) => m.type === 'SCHEMA').map((m) => [m.stream, m.schema]));
    expect(Object.keys(schemas.alpha.properties)).toEqual(['id', 'n']);
    expect(Object.keys(schemas.beta.properties)).toEqual(['id']);
    expect(recordsOf(run.messages, 'alpha')).toEqual([0, 1, 2].map((n) => ({ id: `alpha-${n}`, n, via: 'lines' })));
    expect(recordsOf(run.messages, 'beta')).toEqual([0, 1, 2].map((n) => ({ id: `beta-${n}`, via: 'record' })));
    expect(run.messages.filter((m) => m.type === 'STATE').pop()).toEqual({ type: 'STATE', value: { bookmarks: { alpha: { next: 3 }, beta: { next: 3 } } } });
  });

  it('without deselected fields every stream keeps the line path', async () => {
    const run = await tap(await catalogFile(false), 'when_accepted');
    expect(run.code).toBe(0);
    expect(recordsOf(run.messages, 'beta')).toEqual([0, 1, 2].map((n) => ({ id: `beta-${n}`, n, via: 'lines' })));
    expect(recordsOf(run.messages, 'alpha').every((r) => (r as { via: string }).via === 'lines')).toBe(true);
  });

  it('a source that writes lines for a stream the kit refused fails instead of leaking the fields', async () => {
    const run = await tap(await catalogFile(true), 'always');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('record lines for stream beta,');
    expect(recordsOf(run.messages, 'beta')).toEqual([]);
  });
});
