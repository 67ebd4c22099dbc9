/**
 * The fast path (mapping/currents-writer.ts) must give exactly what the general path gives: for every record,
 * the destination's encoder (fast path first) and the encoder without it (map → validate → JSON.stringify)
 * return the same verdict, and for events the same JSON text, byte for byte. Checked on Braze's v10 samples,
 * on generated records of every catalogued type, and on hand-made edge cases.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createMapper, createFastEventWriter, type MappingConfig } from '../src/mapping';
import { createDestinationEncoder, createRecordEncoder, type RecordVerdict } from '../src/record-encoder';
import { validateEvent } from '../src/validation';
import { loadDefaultCatalogue } from '../../tools/sample-export/catalogue';
import { Prng } from '../../tools/sample-export/prng';
import { RecordFactory } from '../../tools/sample-export/record-factory';
import { buildWorld } from '../../tools/sample-export/world';
import { streamName } from '../../tools/sample-export/options';
import { unwrapAvroJson } from './support/avro-json';

type Rec = Record<string, unknown>;
const MAX_EVENT_BYTES = 9_500_000;
const SAMPLES_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'currents-examples', 'v10', 'JSON');
const samplesPresent = fs.existsSync(SAMPLES_DIR);
if (!samplesPresent) console.warn(`SKIPPED currents-writer sample tests: ${SAMPLES_DIR} not found (fresh clone outside the workplace)`);
const withSamples = samplesPresent ? describe : describe.skip;

const CONFIGS: Array<[string, MappingConfig]> = [
  ['token', { project_token: 'tok"en' }],
  ['no token', {}],
  ['user_id fallback, unmapped types', { project_token: 't', distinct_id_fallback: 'user_id', include_unmapped_types: true }],
  ['overrides', { project_token: 't', event_name_overrides: { 'users.messages.email.Open': 'Mail "Open"' } }],
];

/** Runs both encoders over the records; returns how many took the fast path (so the test is not vacuous). */
function expectSameVerdicts(config: MappingConfig, records: Array<[string, Rec]>, nowMs: number): number {
  const withFast = createDestinationEncoder(config, MAX_EVENT_BYTES);
  const general = createRecordEncoder(createMapper(config), validateEvent, MAX_EVENT_BYTES);
  const fast = createFastEventWriter(config);
  let fastCount = 0;
  for (const [stream, data] of records) {
    const expected: RecordVerdict = general(stream, data, nowMs);
    const actual = withFast(stream, data, nowMs);
    expect({ stream, data, verdict: actual }).toEqual({ stream, data, verdict: expected });
    if (expected.outcome === 'event' && actual.outcome === 'event') {
      expect(actual.json).toBe(expected.json); // same key order and text, not only deep-equal
    }
    const written = fast(stream, data, nowMs, MAX_EVENT_BYTES);
    if (written) {
      fastCount++;
      expect(expected.outcome).toBe('event');
      expect(written.json).toBe(expected.outcome === 'event' ? expected.json : undefined);
    }
  }
  return fastCount;
}


withSamples('fast path on Braze v10 samples', () => {
  const types = samplesPresent ? fs.readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
  const records: Array<[string, Rec]> = types.map((type) => {
    const raw = unwrapAvroJson(JSON.parse(fs.readFileSync(path.join(SAMPLES_DIR, `${type}.json`), 'utf8'))) as Rec;
    return [streamName(type), { ...raw, _event_type: type, _source_key: `samples/${type}.avro` }];
  });

  it.each(CONFIGS)('same JSON as the general path (%s), samples dated 2034 accepted with a late clock', (_label, config) => {
    expect(records.length).toBeGreaterThan(80);
    const fastCount = expectSameVerdicts(config, records, Date.UTC(2040, 0, 1));
    expect(fastCount).toBeGreaterThanOrEqual(80); // every exported type
  });

  it.each(CONFIGS)('same rejections as the general path with today\'s clock (%s)', (_label, config) => {
    expect(expectSameVerdicts(config, records, Date.now())).toBe(0); // all 2034: time_out_of_range via the general path
  });
});

describe('fast path on generated records of every catalogued type', () => {
  const rng = new Prng('currents-writer-test');
  const world = buildWorld(rng.fork('world'), { users: 200, anonymousFraction: 0.1 });
  const nowSec = Math.floor(Date.now() / 1000);
  const records: Array<[string, Rec]> = [];
  // The reference catalogue when present, else the checked-in schemas/ (a clone outside this workplace).
  for (const spec of loadDefaultCatalogue().catalogue) {
    const factory = new RecordFactory(spec, world, rng.fork(spec.type), { invalidPropertiesFraction: 0.2 });
    for (let i = 0; i < 8; i++) {
      const data = factory.make(rng.uuid(), nowSec - i * 3600, 1) as Rec;
      records.push([streamName(spec.type), { ...data, _event_type: spec.type }]);
    }
  }

  it.each(CONFIGS)('same verdicts and JSON as the general path (%s)', (_label, config) => {
    expect(expectSameVerdicts(config, records, Date.now())).toBeGreaterThan(records.length / 2);
  });
});

describe('fast path on edge cases', () => {
  const now = Date.UTC(2026, 0, 1);
  const base = (extra: Rec): Rec => ({
    id: 'abc-123',
    external_user_id: 'user-1',
    time: now / 1000 - 60,
    _event_type: 'users.behaviors.CustomEvent',
    name: 'Played',
    ...extra,
  });
  const tricky = ['quote " here', 'back\\slash', 'tab\tnew\nline', 'ctrl \u0001', 'é ü 中文 😀', 'lone \ud800 surrogate', 'lone \udc00 low', '', ' '];
  const records: Array<[string, Rec]> = [
    ...tricky.map((s): [string, Rec] => ['s', base({ name: s, app_id: s, device_model: s, os_version: s, properties: JSON.stringify({ [s]: s }) })]),
    ['s', base({ properties: JSON.stringify({ '2': 'b', a: 1, '1': 'a', n: null, arr: [1, null, 'x'], obj: { k: [true] } }) })],
    ['s', base({ properties: '{"dup":1,"dup":2}' })],
    ['s', base({ properties: '{"__proto__":{"x":1},"constructor":2,"toJSON":3}' })],
    ['s', base({ properties: 'not json' })],
    ['s', base({ properties: '[1,2]' })],
    ['s', base({ properties: '"text"' })],
    ['s', base({ properties: '' })],
    ['s', base({ properties: { already: 'parsed', n: 1 } })],
    ['s', base({ properties: JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]))) })],
    ['s', base({ properties: JSON.stringify({ big: 'x'.repeat(400_000) }) })],
    ['s', base({ app_id: 1e21, device_model: -0, os_version: 1.5e-7, campaign_id: true })],
    ['s', base({ external_user_id: 12345 })],
    ['s', base({ external_user_id: 'null' })],
    ['s', base({ external_user_id: '  ' })],
    ['s', base({ external_user_id: '' })],
    ['s', base({ external_user_id: null, user_id: 'u-9' })],
    ['s', base({ id: 'not a valid insert id!' })],
    ['s', base({ id: '0' })],
    ['s', base({ id: 42 })],
    ['s', base({ id: undefined })],
    ['s', base({ time: undefined, time_ms: now - 5 })],
    ['s', base({ time: 'yesterday' })],
    ['s', base({ time: now / 1000 + 7200 })],
    ['s', base({ time: 0 })],
    ['s', base({ name: undefined })],
    ['s', base({ _event_type: 'users.behaviors.Purchase', product_id: 'p', price: 9.99, properties: '{"size":"L"}' })],
    ['s', base({ _event_type: 'users.messages.email.Open', email_address: 'a@b.c', user_agent: 'UA "x"' })],
    ['s', base({ _event_type: 'users.messages.contentcard.Click', content_card_id: 'cc-1', card_id: 'ignored' })],
    ['s', base({ _event_type: 'users.messages.email.Retry' })],
    ['s', base({ _event_type: 'users.not.a.Type' })],
    ['s', base({ _event_type: 'users.behaviors.app.SessionStart', session_id: { nested: ['deep', { x: null }] } })],
    ['s', base({ _event_type: 'users.behaviors.app.SessionStart', session_id: BigInt(1) as unknown })],
    ['other_stream', { event: 'Signup', distinct_id: 'u1', time: now / 1000, $insert_id: 'x1' }],
  ];

  it.each(CONFIGS)('same verdicts and JSON as the general path (%s)', (_label, config) => {
    expect(expectSameVerdicts(config, records, now)).toBeGreaterThan(10);
  });
});
