/**
 * Every mapping rule on Braze's real v10 sample records (../shared/currents-examples/v10/JSON, the decoded twins
 * of the Avro samples), checked against the facts in ../shared/reference/currents_event_fields.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createMapper } from '../src/mapping';
import { validateEvent } from '../src/validation';
import { unwrapAvroJson } from './support/avro-json';

const SHARED = path.resolve(__dirname, '..', '..', '..', 'shared');
const SAMPLES_DIR = path.join(SHARED, 'currents-examples', 'v10', 'JSON');
const REFERENCE = path.join(SHARED, 'reference', 'currents_event_fields.json');
const present = fs.existsSync(SAMPLES_DIR) && fs.existsSync(REFERENCE);
if (!present) console.warn(`SKIPPED mapping sample tests: ${SAMPLES_DIR} or ${REFERENCE} not found (fresh clone outside the workplace)`);
const d = present ? describe : describe.skip;

type Rec = Record<string, unknown>;
interface RefEntry {
  fields: Record<string, unknown>;
  mixpanel?: { event_name: string | null; properties: string[] } | null;
}


/** A sample as the source would emit it: unwrapped, plus the `_event_type` / `_source_key` it adds. */
function loadSample(type: string): Rec {
  const raw = JSON.parse(fs.readFileSync(path.join(SAMPLES_DIR, `${type}.json`), 'utf8'));
  return { ...(unwrapAvroJson(raw) as Rec), _event_type: type, _source_key: `samples/${type}.avro` };
}

/** Our documented deviations from the glossary's literal names (see MAPPING.md). */
const NAME_EXCEPTIONS: Record<string, string> = {
  'users.behaviors.CustomEvent': '[Braze Custom Event] name', // the sample's custom event is called "name"
  'users.messages.line.Abort': 'LINE Abort',
  'users.messages.line.Click': 'LINE Click',
  'users.messages.line.Send': 'LINE Send',
  'users.messages.rcs.Abort': 'RCS Abort',
  'users.messages.rcs.Click': 'RCS Click',
  'users.messages.rcs.Delivery': 'RCS Delivery',
  'users.messages.rcs.InboundReceive': 'RCS Inbound Receive',
  'users.messages.rcs.Read': 'RCS Read',
  'users.messages.rcs.Rejection': 'RCS Rejection',
  'users.messages.rcs.Send': 'RCS Send',
};
const FIXED = ['$insert_id', '$partner_id', 'distinct_id', 'time', 'token', '$device', '$os'];
const PREFIXES: Record<string, string> = {
  'users.behaviors.CustomEvent': '[Custom event property] ',
  'users.behaviors.Purchase': '[Purchase property] ',
};
const TOKEN = 'sample-project-token';
const SAMPLE_TIME_MS = 2033802504000; // every v10 sample is dated 2034-06-13T09:08:24Z

d('mapping Braze v10 sample records', () => {
  const reference = present ? (JSON.parse(fs.readFileSync(REFERENCE, 'utf8')) as Record<string, RefEntry>) : {};
  const sampleTypes = present ? fs.readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
  const exported = sampleTypes.filter((t) => reference[t]?.mixpanel?.event_name);
  const notExported = sampleTypes.filter((t) => !reference[t]?.mixpanel?.event_name);
  const mapper = createMapper({ project_token: TOKEN });

  it('has a sample for every type Braze exports to Mixpanel', () => {
    const documented = Object.keys(reference).filter((t) => reference[t].mixpanel?.event_name);
    expect(documented.length).toBe(80);
    expect(exported.sort()).toEqual(documented.sort());
    expect(notExported.length).toBe(14);
  });

  describe.each(present ? exported.map((t) => [t]) : [['none']])('%s', (type) => {
    const record = present ? loadSample(type) : {};
    const ref = reference[type];
    const result = mapper('ignored_stream_name', record);
    const event = result.outcome === 'event' ? result.event : undefined;
    const props = (event?.properties ?? {}) as Rec;
    const documented = (ref?.mixpanel?.properties ?? []).filter((p) => !FIXED.includes(p));
    const isContentCard = type.startsWith('users.messages.contentcard.');
    const sourceOf = (p: string) => (isContentCard && p === 'card_id' ? 'content_card_id' : p);

    it('is mapped, without warnings, under the documented name', () => {
      expect(result.outcome).toBe('event');
      expect(result.outcome === 'event' && result.warnings).toBeFalsy();
      expect(event!.event).toBe(NAME_EXCEPTIONS[type] ?? ref.mixpanel!.event_name);
    });

    it('carries distinct_id, $insert_id, time (ms), token and $partner_id', () => {
      expect(props.distinct_id).toBe(record.external_user_id);
      expect(props.distinct_id).toBe('external_user_id');
      expect(props.$insert_id).toBe(record.id);
      expect(props.$insert_id).toMatch(/^[A-Za-z0-9-]{1,36}$/);
      expect(props.time).toBe((record.time as number) * 1000);
      expect(props.time).toBe(SAMPLE_TIME_MS);
      expect(props.token).toBe(TOKEN);
      expect(props.$partner_id).toBe('braze');
    });

    it('maps $device ← device_model and $os ← os_version where documented', () => {
      const docs = ref.mixpanel!.properties;
      if (docs.includes('$device') && record.device_model != null) expect(props.$device).toBe(record.device_model);
      else expect(props).not.toHaveProperty('$device');
      if (docs.includes('$os') && record.os_version != null) expect(props.$os).toBe(record.os_version);
      else expect(props).not.toHaveProperty('$os');
      expect(props).not.toHaveProperty('device_model');
      expect(props).not.toHaveProperty('os_version');
    });

    it('sends each documented property present in the record by its own name, and nothing else', () => {
      for (const p of documented) {
        const value = record[sourceOf(p)];
        if (value === null || value === undefined) expect(props).not.toHaveProperty([p]);
        else expect(props[p]).toEqual(value);
      }
      const prefix = PREFIXES[type];
      for (const key of Object.keys(props)) {
        const allowed = FIXED.includes(key) || documented.includes(key) || (prefix !== undefined && key.startsWith(prefix));
        expect(allowed ? key : `unexpected property ${key}`).toBe(key);
      }
      for (const dropped of ['user_id', 'external_user_id', 'id', '_event_type', '_source_key', 'properties']) {
        expect(props).not.toHaveProperty([dropped]);
      }
    });

    it('omits null values', () => {
      for (const [key, value] of Object.entries(props)) expect(value === null ? `${key} is null` : key).toBe(key);
      const nullFields = Object.keys(record).filter((k) => record[k] === null);
      for (const k of nullFields) expect(props).not.toHaveProperty([k]);
    });

    if (isContentCard && documented.includes('card_id')) {
      it('renames content_card_id → card_id', () => {
        expect(props.card_id).toBe(record.content_card_id);
        expect(props.card_id).toBe('content_card_id');
        expect(props).not.toHaveProperty('content_card_id');
      });
    }

    if (PREFIXES[type]) {
      it(`prefixes the JSON properties with "${PREFIXES[type]}"`, () => {
        const custom = JSON.parse(record.properties as string) as Rec;
        expect(Object.keys(custom).length).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(custom)) expect(props[PREFIXES[type] + k]).toEqual(v);
        expect(props['[Custom event property] stringProperty'] ?? props['[Purchase property] stringProperty']).toBe('properties');
        expect(props['[Custom event property] listProperty'] ?? props['[Purchase property] listProperty']).toEqual(['a']);
      });
    }

    it('is rejected for its 2034 date, and valid when "now" is 2034', () => {
      const now = Date.UTC(2026, 10, 29);
      expect(validateEvent(event!, now)).toEqual({ reason: 'time_out_of_range', detail: expect.stringContaining('in the future') });
      expect(validateEvent(event!, SAMPLE_TIME_MS - 30 * 60 * 1000)).toBeNull(); // within "now + 1 h"
      expect(validateEvent(event!, SAMPLE_TIME_MS)).toBeNull();
    });
  });

  it('skips the sample types Braze does not export, and sends them with include_unmapped_types', () => {
    const inclusive = createMapper({ project_token: TOKEN, include_unmapped_types: true });
    // Two of these samples have no external_user_id: still skipped (Braze's rule) unless a fallback is set;
    // ToolInvocation has no user id of any kind, so it stays skipped even then.
    const inclusiveWithFallback = createMapper({ project_token: TOKEN, include_unmapped_types: true, distinct_id_fallback: 'user_id' });
    const anonymous = ['agentconsole.ToolInvocation', 'users.UserDeleteRequest'];
    const names: Record<string, string> = {};
    for (const type of notExported) {
      const record = loadSample(type);
      const skipped = mapper('x', record);
      expect(skipped).toEqual({ outcome: 'skipped', reason: 'type_not_exported_by_braze', detail: expect.stringContaining(type) });
      if (anonymous.includes(type)) expect(inclusive('x', record)).toMatchObject({ outcome: 'skipped', reason: 'no_external_user_id' });
      const sent = anonymous.includes(type) ? inclusiveWithFallback('x', record) : inclusive('x', record);
      if (type === 'agentconsole.ToolInvocation') {
        expect(sent).toMatchObject({ outcome: 'skipped', reason: 'no_external_user_id', detail: expect.stringContaining('user_id') });
        continue;
      }
      expect(sent.outcome).toBe('event');
      if (sent.outcome !== 'event') continue;
      names[type] = sent.event.event;
      const props = sent.event.properties;
      expect(props.distinct_id).toBe(record.external_user_id ?? record.user_id);
      expect(props.$insert_id).toBe(record.id);
      expect(props.time).toBe(SAMPLE_TIME_MS);
      expect(Object.values(props)).not.toContain(null);
      expect(props).not.toHaveProperty('user_id');
      expect(props).not.toHaveProperty('_event_type');
      expect(validateEvent(sent.event, SAMPLE_TIME_MS)).toBeNull();
    }
    expect(names).toEqual({
      'agentconsole.AgentExecuted': 'Agent Console Agent Executed',
      'users.RandomBucketNumberUpdate': 'Random Bucket Number Update',
      'users.UserDeleteRequest': 'User Delete Request',
      'users.UserOrphan': 'User Orphan',
      'users.canvas.costep.Send': 'Content Optimizer Step Send',
      'users.messages.banner.Dismiss': 'Banner Dismiss',
      'users.messages.email.Retry': 'Email Retry',
      'users.messages.line.Retry': 'LINE Retry',
      'users.messages.pushnotification.Retry': 'Push Notification Retry',
      'users.messages.sms.Retry': 'SMS Retry',
      'users.messages.webhook.Retry': 'Webhook Retry',
      'users.messages.whatsapp.Retry': 'WhatsApp Retry',
      'users.profile.Update': 'Profile Update',
    });
  });

  it('recognises a sample by its stream name when _event_type is absent', () => {
    const record = loadSample('users.messages.email.Open');
    delete record._event_type;
    const result = mapper('users_messages_email_open', record);
    expect(result.outcome === 'event' && result.event.event).toBe('Email Open');
  });
});
