/** Pre-send validation: each rule Mixpanel's /import enforces, with its stable reason code. */
import type { MixpanelEvent } from '../src/mapping';
import { MAX_EVENT_BYTES, MIN_TIME_MS, insertIdFor, validateEvent } from '../src/validation';
import { jsonSizeUpperBound } from '../src/validation/size';

const NOW = Date.UTC(2026, 10, 29, 12);
const HOUR = 3600 * 1000;

function event(props: Record<string, unknown> = {}, name = 'Email Open'): MixpanelEvent {
  return { event: name, properties: { distinct_id: 'user-1', time: NOW - HOUR, $insert_id: 'abc-123', token: 't', ...props } };
}
const reasonOf = (e: MixpanelEvent) => validateEvent(e, NOW)?.reason ?? null;

describe('validateEvent', () => {
  it('accepts a well-formed event', () => {
    expect(validateEvent(event(), NOW)).toBeNull();
  });

  it('rejects a missing or blank event name', () => {
    expect(reasonOf(event({}, ''))).toBe('missing_event_name');
    expect(reasonOf(event({}, '   '))).toBe('missing_event_name');
    expect(reasonOf({ event: undefined as unknown as string, properties: event().properties })).toBe('missing_event_name');
  });

  describe('time', () => {
    it('accepts 1971-01-01 … now + 1 h (epoch ms, what the mappers write)', () => {
      expect(reasonOf(event({ time: MIN_TIME_MS }))).toBeNull();
      expect(reasonOf(event({ time: NOW + HOUR }))).toBeNull();
      // seconds are not guessed here: a time in seconds reads as January 1970
      expect(reasonOf(event({ time: Math.floor(NOW / 1000) }))).toBe('time_out_of_range');
    });

    it('rejects times before 1971 or more than an hour ahead', () => {
      expect(reasonOf(event({ time: MIN_TIME_MS - 1 }))).toBe('time_out_of_range');
      expect(reasonOf(event({ time: Date.UTC(1970, 5, 1) }))).toBe('time_out_of_range');
      expect(reasonOf(event({ time: NOW + HOUR + 1 }))).toBe('time_out_of_range');
      expect(reasonOf(event({ time: NOW + HOUR + 1000 }))).toBe('time_out_of_range');
    });

    it("rejects Braze's 2034 sample date with a detail that says why but not the value (DESIGN §7)", () => {
      const rejection = validateEvent(event({ time: 2033802504000 }), NOW);
      expect(rejection).toEqual({ reason: 'time_out_of_range', detail: expect.stringContaining('in the future') });
      expect(rejection!.detail).not.toContain('2034');
      expect(validateEvent(event({ time: Date.UTC(1965, 0, 1) }), NOW)?.detail).toContain('before 1971');
    });

    it('rejects a missing or non-numeric time', () => {
      expect(reasonOf(event({ time: undefined }))).toBe('missing_time');
      expect(reasonOf(event({ time: null }))).toBe('missing_time');
      expect(reasonOf(event({ time: '2026-11-01' }))).toBe('invalid_time');
      expect(reasonOf(event({ time: Number.NaN }))).toBe('invalid_time');
    });
  });

  describe('distinct_id', () => {
    const junk = ['00000000-0000-0000-0000-000000000000', 'anon', 'anonymous', 'nil', 'none', 'null', 'n/a', 'na',
      'undefined', 'unknown', '<nil>', '0', '-1', 'true', 'false', '[]', '{}'];

    it('rejects every junk value, case-insensitively', () => {
      for (const id of junk) {
        expect([id, reasonOf(event({ distinct_id: id }))]).toEqual([id, 'invalid_distinct_id']);
        expect([id, reasonOf(event({ distinct_id: id.toUpperCase() }))]).toEqual([id, 'invalid_distinct_id']);
      }
      expect(reasonOf(event({ distinct_id: 'AnOnYmOuS' }))).toBe('invalid_distinct_id');
      expect(reasonOf(event({ distinct_id: 0 }))).toBe('invalid_distinct_id');
      expect(reasonOf(event({ distinct_id: -1 }))).toBe('invalid_distinct_id');
    });

    it('accepts real ids that merely contain junk words', () => {
      for (const id of ['anonymous-42', 'nonexistent', '00', 'user null', '10']) expect(reasonOf(event({ distinct_id: id }))).toBeNull();
      expect(reasonOf(event({ distinct_id: 12345 }))).toBeNull();
    });

    it('rejects missing, empty and non-scalar distinct ids', () => {
      expect(reasonOf(event({ distinct_id: undefined }))).toBe('missing_distinct_id');
      expect(reasonOf(event({ distinct_id: '' }))).toBe('invalid_distinct_id');
      expect(reasonOf(event({ distinct_id: { id: 1 } }))).toBe('invalid_distinct_id');
    });
  });

  describe('$insert_id', () => {
    it('rejects missing, malformed, too long and junk insert ids', () => {
      expect(reasonOf(event({ $insert_id: undefined }))).toBe('missing_insert_id');
      expect(reasonOf(event({ $insert_id: 'has space' }))).toBe('invalid_insert_id');
      expect(reasonOf(event({ $insert_id: 'under_score' }))).toBe('invalid_insert_id');
      expect(reasonOf(event({ $insert_id: 'a'.repeat(37) }))).toBe('invalid_insert_id');
      expect(reasonOf(event({ $insert_id: 'null' }))).toBe('invalid_insert_id');
      expect(reasonOf(event({ $insert_id: 12 }))).toBe('invalid_insert_id');
      expect(reasonOf(event({ $insert_id: 'a'.repeat(36) }))).toBeNull();
    });
  });

  it('rejects more than 255 properties', () => {
    const props: Record<string, unknown> = {};
    for (let i = 0; props && Object.keys(props).length < 251; i++) props[`p${i}`] = i; // + 4 fixed = 255
    expect(reasonOf(event(props))).toBeNull();
    expect(validateEvent(event({ ...props, one_more: 1 }), NOW)).toEqual({
      reason: 'too_many_properties',
      detail: expect.stringContaining('256 properties'),
    });
  });

  it('rejects an event of 1 MB or more of JSON, measured in UTF-8 bytes', () => {
    const base = JSON.stringify(event({ big: '' })).length;
    const fits = event({ big: 'x'.repeat(MAX_EVENT_BYTES - base - 1) });
    expect(Buffer.byteLength(JSON.stringify(fits))).toBe(MAX_EVENT_BYTES - 1);
    expect(reasonOf(fits)).toBeNull();
    expect(reasonOf(event({ big: 'x'.repeat(MAX_EVENT_BYTES - base) }))).toBe('event_too_large');
    // 400 000 three-byte characters: 1.2 MB although only 400 000 UTF-16 units
    expect(reasonOf(event({ big: '€'.repeat(400_000) }))).toBe('event_too_large');
    // many small nested values add up too
    expect(reasonOf(event({ list: Array.from({ length: 200 }, () => 'y'.repeat(6000)) }))).toBe('event_too_large');
  });

  it('reports an event that cannot be serialized instead of throwing', () => {
    const cyclic: Record<string, unknown> = { a: 'x'.repeat(10) };
    cyclic.self = cyclic;
    expect(reasonOf(event({ cyclic }))).toBe('unserializable_event');
    expect(reasonOf(event({ n: BigInt(1) }))).toBe('unserializable_event');
  });
});

describe('jsonSizeUpperBound', () => {
  it('never under-estimates JSON.stringify', () => {
    const samples: unknown[] = [
      event().properties,
      { s: '\u0001\u0002"\\\n', u: '€😀', n: -1.2345678901234567e-300, b: true, z: null, a: [1, 'two', { three: [3] }] },
      { empty: {}, arr: [], undef: undefined },
    ];
    for (const s of samples) expect(jsonSizeUpperBound(s, Infinity)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(s)));
  });

  it('gives up (Infinity) past the budget', () => {
    expect(jsonSizeUpperBound({ s: 'x'.repeat(1000) }, 100)).toBe(Infinity);
  });
});

describe('insertIdFor', () => {
  it('keeps ids Mixpanel accepts and hashes the others into 36 characters, deterministically', () => {
    expect(insertIdFor('f47ac10b-58cc-4372-a567-0e02b2c3d479')).toBe('f47ac10b-58cc-4372-a567-0e02b2c3d479');
    expect(insertIdFor('A-z-09')).toBe('A-z-09');
    for (const id of ['a'.repeat(37), 'with space', 'ünïcode', '', '0', 'NULL']) {
      const hashed = insertIdFor(id);
      expect(hashed).toHaveLength(36);
      expect(hashed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(insertIdFor(id)).toBe(hashed);
      expect(reasonOf(event({ $insert_id: hashed }))).toBeNull();
    }
    expect(insertIdFor('a'.repeat(37))).not.toBe(insertIdFor('a'.repeat(38)));
  });
});
