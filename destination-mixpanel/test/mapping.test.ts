/** Mapping rules on constructed records: edge cases, options, naming decisions, non-Currents streams. */
import * as fs from 'fs';
import * as path from 'path';
import { createMapper, deriveEventName, type MappingResult } from '../src/mapping';
import { allTypes } from '../src/mapping/catalogue';
import { documentedEventName } from '../src/mapping/event-names';
import { renderCatalogue } from '../src/mapping/generate-catalogue';
import { withFreshTable } from '../src/mapping/render-mapping-doc';
import { hashInsertId, validateEvent } from '../src/validation';

type Rec = Record<string, unknown>;
const NOW = Date.UTC(2026, 10, 29, 12);
const T = Math.floor(Date.UTC(2026, 10, 1, 8, 30) / 1000); // a Currents time (epoch seconds)

function eventOf(result: MappingResult) {
  if (result.outcome !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return result.event;
}

function customEvent(extra: Rec = {}): Rec {
  return {
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    user_id: '639a35d192b0df004d06514c',
    external_user_id: 'user-42',
    time: T,
    name: 'Added To Cart',
    properties: '{"sku":"X-1","qty":2,"gift":false,"note":null}',
    device_model: 'iPhone15,2',
    os_version: '17.6.1',
    device_id: 'dev-1',
    platform: 'ios',
    app_id: null,
    _event_type: 'users.behaviors.CustomEvent',
    _source_key: 'k',
    ...extra,
  };
}

describe('Currents records', () => {
  const mapper = createMapper({ project_token: 'tok' });

  it('names custom events "[Braze Custom Event] <name>" and prefixes their properties, leaving out nulls', () => {
    const result = mapper('users_behaviors_customevent', customEvent());
    expect(result).toEqual({
      outcome: 'event',
      event: {
        event: '[Braze Custom Event] Added To Cart',
        properties: {
          distinct_id: 'user-42',
          time: T * 1000,
          $insert_id: 'a1b2c3d4-0000-4000-8000-000000000001',
          $partner_id: 'braze',
          token: 'tok',
          $device: 'iPhone15,2',
          $os: '17.6.1',
          device_id: 'dev-1',
          platform: 'ios',
          '[Custom event property] sku': 'X-1',
          '[Custom event property] qty': 2,
          '[Custom event property] gift': false,
        },
      },
    });
    expect(validateEvent(eventOf(result), NOW)).toBeNull();
  });

  it('prefixes purchase properties with "[Purchase property] "', () => {
    const purchase = { ...customEvent(), _event_type: 'users.behaviors.Purchase', product_id: 'sku-9', price: 9.99, currency: 'USD' };
    const props = eventOf(mapper('s', purchase)).properties;
    expect(eventOf(mapper('s', purchase)).event).toBe('Purchase');
    expect(props).toMatchObject({ product_id: 'sku-9', price: 9.99, currency: 'USD', '[Purchase property] sku': 'X-1' });
    expect(Object.keys(props).some((k) => k.startsWith('[Custom event property]'))).toBe(false);
  });

  it('still maps an event whose properties are invalid JSON, without them, and warns', () => {
    for (const bad of ['{"sku": "X-1"', 'not json', '[1,2]', '42', '"text"']) {
      const result = mapper('s', customEvent({ properties: bad }));
      expect(result.outcome).toBe('event');
      expect(result.outcome === 'event' && result.warnings).toEqual(['invalid_properties_json']);
      const props = eventOf(result).properties;
      expect(Object.keys(props).filter((k) => k.startsWith('['))).toEqual([]);
      expect(props).toMatchObject({ distinct_id: 'user-42', platform: 'ios' });
    }
  });

  it('accepts absent or empty properties silently, and an already-parsed object', () => {
    for (const none of [undefined, null, '']) {
      const result = mapper('s', customEvent({ properties: none }));
      expect(result.outcome === 'event' && result.warnings).toBeFalsy();
    }
    const parsed = eventOf(mapper('s', customEvent({ properties: { color: 'red' } }))).properties;
    expect(parsed['[Custom event property] color']).toBe('red');
  });

  it('leaves a custom event without a name unnamed, so validation rejects it', () => {
    const event = eventOf(mapper('s', customEvent({ name: null })));
    expect(event.event).toBe('');
    expect(validateEvent(event, NOW)?.reason).toBe('missing_event_name');
  });

  it('skips anonymous users (no external_user_id), as Braze does', () => {
    for (const missing of [undefined, null, '']) {
      expect(mapper('s', customEvent({ external_user_id: missing }))).toEqual({
        outcome: 'skipped',
        reason: 'no_external_user_id',
        detail: expect.stringContaining('distinct_id_fallback'),
      });
    }
  });

  it('falls back to user_id or device_id when configured', () => {
    const anonymous = customEvent({ external_user_id: null });
    const byUser = createMapper({ distinct_id_fallback: 'user_id' });
    const byDevice = createMapper({ distinct_id_fallback: 'device_id' });
    expect(eventOf(byUser('s', anonymous)).properties.distinct_id).toBe('639a35d192b0df004d06514c');
    expect(eventOf(byDevice('s', anonymous)).properties.distinct_id).toBe('dev-1');
    expect(eventOf(byUser('s', customEvent())).properties.distinct_id).toBe('user-42'); // external id still wins
    expect(byDevice('s', { ...anonymous, device_id: null })).toEqual({
      outcome: 'skipped',
      reason: 'no_external_user_id',
      detail: expect.stringContaining('no device_id'),
    });
  });

  it('omits token when no project token is configured', () => {
    expect(eventOf(createMapper({})('s', customEvent())).properties).not.toHaveProperty('token');
  });

  it('replaces an id Mixpanel would refuse as $insert_id with a deterministic 36-character hash', () => {
    const long = 'x'.repeat(37);
    const odd = 'id_with_underscores';
    for (const id of [long, odd, '0', 'null']) {
      const insertId = eventOf(mapper('s', customEvent({ id }))).properties.$insert_id as string;
      expect(insertId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(insertId).toBe(hashInsertId(id));
      expect(eventOf(mapper('s', customEvent({ id }))).properties.$insert_id).toBe(insertId); // deterministic
    }
    expect(hashInsertId(long)).not.toBe(hashInsertId(odd));
  });

  it('leaves $insert_id out when the record has no id, so validation rejects it', () => {
    const event = eventOf(mapper('s', customEvent({ id: undefined })));
    expect(event.properties).not.toHaveProperty('$insert_id');
    expect(validateEvent(event, NOW)?.reason).toBe('missing_insert_id');
  });

  it('takes time from `time` (seconds → ms); time_ms only when time is missing, and keeps time_ms as a property', () => {
    const tokenChange = {
      id: 'e1',
      external_user_id: 'u',
      time: T,
      time_ms: T * 1000 + 999,
      push_token: 'pt',
      _event_type: 'users.behaviors.pushnotification.TokenStateChange',
    };
    const props = eventOf(mapper('s', tokenChange)).properties;
    expect(props.time).toBe(T * 1000);
    expect(props.time_ms).toBe(T * 1000 + 999);
    expect(eventOf(mapper('s', { ...tokenChange, time: null })).properties.time).toBe(T * 1000 + 999);
    const untimed = eventOf(mapper('s', { ...tokenChange, time: null, time_ms: null }));
    expect(untimed.properties).not.toHaveProperty('time');
    expect(validateEvent(untimed, NOW)?.reason).toBe('missing_time');
  });

  it('renames content cards\' content_card_id to card_id', () => {
    const click = { id: 'e2', external_user_id: 'u', time: T, content_card_id: 'card-7', _event_type: 'users.messages.contentcard.Click' };
    const props = eventOf(mapper('s', click)).properties;
    expect(props.card_id).toBe('card-7');
    expect(props).not.toHaveProperty('content_card_id');
  });

  it('identifies the type by _event_type (any case) before the stream name, else by the stream name', () => {
    const open = { id: 'e3', external_user_id: 'u', time: T };
    expect(eventOf(mapper('users_messages_email_open', open)).event).toBe('Email Open');
    expect(eventOf(mapper('USERS_MESSAGES_EMAIL_OPEN', open)).event).toBe('Email Open');
    expect(eventOf(mapper('users_messages_email_open', { ...open, _event_type: 'users.messages.email.Click' })).event).toBe('Email Click');
    expect(eventOf(mapper('whatever', { ...open, _event_type: 'USERS.MESSAGES.EMAIL.SEND' })).event).toBe('Email Send');
  });

  it('does not modify the record', () => {
    const record = Object.freeze(customEvent());
    const copy = JSON.stringify(record);
    mapper('s', record);
    expect(JSON.stringify(record)).toBe(copy);
  });
});

describe('types Braze does not export', () => {
  const retry = { id: 'r1', external_user_id: 'u', user_id: 'b', time: T, dispatch_id: 'd', timezone: null, _event_type: 'users.messages.email.Retry' };

  it('are skipped by default and counted under type_not_exported_by_braze', () => {
    expect(createMapper({})('users_messages_email_retry', retry)).toEqual({
      outcome: 'skipped',
      reason: 'type_not_exported_by_braze',
      detail: expect.stringContaining('"Email Retry"'),
    });
  });

  it('are sent under the derived name with include_unmapped_types, with all non-identity fields', () => {
    const event = eventOf(createMapper({ include_unmapped_types: true, project_token: 'tok' })('s', retry));
    expect(event).toEqual({
      event: 'Email Retry',
      properties: { distinct_id: 'u', time: T * 1000, $insert_id: 'r1', $partner_id: 'braze', token: 'tok', dispatch_id: 'd' },
    });
  });

  it('types missing from the catalogue are skipped as unknown_currents_type, or sent under a derived name', () => {
    const teleport = { ...retry, _event_type: 'users.messages.email.Teleport' };
    expect(createMapper({})('s', teleport)).toMatchObject({ outcome: 'skipped', reason: 'unknown_currents_type' });
    expect(eventOf(createMapper({ include_unmapped_types: true })('s', teleport)).event).toBe('Email Teleport');
  });
});

describe('event names', () => {
  const mapper = createMapper({});
  const base = { id: 'n1', external_user_id: 'u', time: T };
  const nameOf = (type: string) => eventOf(mapper('s', { ...base, _event_type: type })).event;

  it('CONFLICT "SMS Carrier Send" (Braze glossary) vs "SMS Send to Carrier" (Mixpanel docs): the glossary wins', () => {
    expect(nameOf('users.messages.sms.CarrierSend')).toBe('SMS Carrier Send');
  });

  it('lets the user override a name per type', () => {
    const overridden = createMapper({ event_name_overrides: { 'users.messages.sms.CarrierSend': 'SMS Send to Carrier' } });
    expect(eventOf(overridden('s', { ...base, _event_type: 'users.messages.sms.CarrierSend' })).event).toBe('SMS Send to Carrier');
    expect(eventOf(overridden('s', { ...base, _event_type: 'users.messages.sms.Send' })).event).toBe('SMS Send');
  });

  it('prefixes the channel to the bare LINE/RCS glossary names (and drops RCS Abort\'s trailing space)', () => {
    expect(nameOf('users.messages.line.Click')).toBe('LINE Click');
    expect(nameOf('users.messages.line.InboundReceive')).toBe('LINE Inbound Receive'); // already prefixed in the glossary
    expect(nameOf('users.messages.rcs.Abort')).toBe('RCS Abort');
    expect(nameOf('users.messages.rcs.InboundReceive')).toBe('RCS Inbound Receive');
  });

  it('uses the documented names of well-known types exactly (MTU-exempt list)', () => {
    expect(nameOf('users.canvas.Entry')).toBe('Canvas Entry');
    expect(nameOf('users.messages.email.MarkAsSpam')).toBe('Email Mark As Spam');
    expect(nameOf('users.messages.pushnotification.Send')).toBe('Push Notification Send');
    expect(nameOf('users.messages.sms.DeliveryFailure')).toBe('SMS Delivery Failure');
    expect(nameOf('users.messages.inappmessage.Click')).toBe('In-App Message Click');
  });

  it('derives names the way Braze names the documented types', () => {
    // The derivation reproduces every documented name except these irregular ones.
    const irregular: Record<string, string> = {};
    for (const entry of allTypes()) {
      const documented = documentedEventName(entry);
      if (documented === null || entry.type === 'users.behaviors.CustomEvent') continue;
      if (deriveEventName(entry.type) !== documented) irregular[entry.type] = `${deriveEventName(entry.type)} ≠ ${documented}`;
    }
    expect(irregular).toEqual({
      'users.behaviors.subscription.GlobalStateChange': 'Subscription Global State Change ≠ Global Subscription State Change',
      'users.campaigns.EnrollInControl': 'Campaign Enroll In Control ≠ Campaign Control Group Enrollment',
      'users.canvas.exit.MatchedAudience': 'Exit Matched Audience ≠ Exit Match Audience',
      'users.canvas.exit.PerformedEvent': 'Exit Performed Event ≠ Exit Perform Event',
      'users.canvas.experimentstep.SplitEntry': 'Experiment Step Split Entry ≠ Experiment Split Entry',
      'users.messages.featureflag.Impression': 'Feature Flag Impression ≠ Feature Flag Experiment Impression',
      'users.messages.pushnotification.IosForeground': 'Push Notification Ios Foreground ≠ Push Notification iOS Foreground Open',
      'users.messages.sms.InboundReceive': 'SMS Inbound Receive ≠ SMS Inbound Received',
      'users.messages.whatsapp.Click': 'WhatsApp Click ≠ WhatsApp Tracked Link Click',
      'users.messages.whatsapp.InboundReceive': 'WhatsApp Inbound Receive ≠ WhatsApp Inbound Received',
    });
    expect(deriveEventName('agentconsole.ToolInvocation')).toBe('Agent Console Tool Invocation');
    expect(deriveEventName('users.behaviors.app.NewsFeedImpression')).toBe('News Feed Impression');
    expect(deriveEventName('users.messages.newsfeedcard.Click')).toBe('News Feed Card Click');
  });
});

describe('non-Currents streams', () => {
  it('map through the default fields: event, distinct_id, time, $insert_id / id', () => {
    const mapper = createMapper({ project_token: 'tok' });
    const result = mapper('orders', { event: 'Order Placed', distinct_id: 'c-1', time: T, id: 'o-1', total: 12.5, coupon: null, nested: { a: 1 } });
    expect(result).toEqual({
      outcome: 'event',
      event: {
        event: 'Order Placed',
        properties: { id: 'o-1', total: 12.5, nested: { a: 1 }, distinct_id: 'c-1', time: T * 1000, $insert_id: 'o-1', token: 'tok' },
      },
    });
    expect(eventOf(mapper('orders', { event: 'E', distinct_id: 'c', time: T, $insert_id: 'ins-1', id: 'o-1' })).properties.$insert_id).toBe('ins-1');
    expect(eventOf(mapper('orders', { event: 'E', distinct_id: 7, time: T, id: 'x' })).properties.distinct_id).toBe('7');
  });

  it('map through configured fields, accepting seconds, milliseconds, digit strings and ISO dates', () => {
    const mapper = createMapper({ event_name_field: 'action', distinct_id_field: 'user', time_field: 'at', insert_id_field: 'uuid' });
    const base = { action: 'Signed Up', user: 'u-9', uuid: 'not a valid insert id', plan: 'pro' };
    const iso = eventOf(mapper('signups', { ...base, at: '2026-11-01T08:30:00Z' }));
    expect(iso.event).toBe('Signed Up');
    expect(iso.properties).toEqual({ uuid: 'not a valid insert id', plan: 'pro', distinct_id: 'u-9', time: T * 1000, $insert_id: hashInsertId('not a valid insert id') });
    expect(eventOf(mapper('signups', { ...base, at: T * 1000 })).properties.time).toBe(T * 1000);
    expect(eventOf(mapper('signups', { ...base, at: T + 0.25 })).properties.time).toBe(T * 1000 + 250);
    expect(eventOf(mapper('signups', { ...base, at: String(T) })).properties.time).toBe(T * 1000);
    expect(validateEvent(iso, NOW)).toBeNull();
    const badTime = eventOf(mapper('signups', { ...base, at: 'yesterday-ish' }));
    expect(validateEvent(badTime, NOW)?.reason).toBe('invalid_time');
  });

  it('hash the stream and whole record when there is no insert id field, deterministically', () => {
    const mapper = createMapper({});
    const record = { event: 'E', distinct_id: 'd', time: T, value: 1 };
    const a = eventOf(mapper('s1', record)).properties.$insert_id;
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(eventOf(mapper('s1', { ...record })).properties.$insert_id).toBe(a);
    expect(eventOf(mapper('s2', record)).properties.$insert_id).not.toBe(a);
    expect(eventOf(mapper('s1', { ...record, value: 2 })).properties.$insert_id).not.toBe(a);
  });

  it('leave missing name / distinct id for validation to reject, and carry no $partner_id', () => {
    const mapper = createMapper({});
    const noName = eventOf(mapper('s', { distinct_id: 'd', time: T, id: 'i' }));
    expect(validateEvent(noName, NOW)?.reason).toBe('missing_event_name');
    const noUser = eventOf(mapper('s', { event: 'E', time: T, id: 'i' }));
    expect(validateEvent(noUser, NOW)?.reason).toBe('missing_distinct_id');
    expect(noUser.properties).not.toHaveProperty('$partner_id');
  });
});

const REFERENCE = path.resolve(__dirname, '..', '..', '..', 'shared', 'reference', 'currents_event_fields.json');
const withReference = fs.existsSync(REFERENCE) ? describe : describe.skip;
if (!fs.existsSync(REFERENCE)) console.warn(`SKIPPED catalogue freshness test: ${REFERENCE} not found`);

withReference('generated catalogue', () => {
  it('is up to date with ../shared/reference/currents_event_fields.json', () => {
    const rendered = renderCatalogue(JSON.parse(fs.readFileSync(REFERENCE, 'utf8')));
    const checkedIn = fs.readFileSync(path.join(__dirname, '..', 'src', 'mapping', 'catalogue.generated.ts'), 'utf8');
    expect(checkedIn).toBe(rendered);
    expect(allTypes()).toHaveLength(100);
  });
});

describe('MAPPING.md', () => {
  it('has an up-to-date type table (npx tsc && node dist/destination-mixpanel/src/mapping/render-mapping-doc.js)', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', 'MAPPING.md'), 'utf8');
    expect(doc).toBe(withFreshTable(doc));
    expect(doc).toContain('| `users.messages.sms.CarrierSend` | `users_messages_sms_carriersend` | `SMS Carrier Send` |');
    expect(doc).toContain('| `users.messages.rcs.Abort` | `users_messages_rcs_abort` | `RCS Abort` | `Abort` |');
  });
});
