import { validateConfig } from '../../connector-kit/config';
import { resolveSettings } from '../src/config';
import { createMapper } from '../src/mapping';
import spec from '../spec.json';

const base = { credentials: { auth_type: 'api_secret', api_secret: 's3cret-value' }, project_token: 'tok' };
const carrierSend = { _event_type: 'users.messages.sms.CarrierSend', id: 'abc-1', time: 1_700_000_000, external_user_id: 'u1', user_id: 'b1' };

describe('event_name_overrides', () => {
  it('renames a type through the spec setting (the CONFLICT spelling on Mixpanel\'s page)', () => {
    const config = validateConfig(spec.connectionSpecification, {
      ...base,
      event_name_overrides: [{ currents_type: 'users.messages.sms.CarrierSend', event_name: 'SMS Send to Carrier' }],
    });
    const mapped = createMapper(resolveSettings(config).mapping)('users_messages_sms_carriersend', carrierSend);
    expect(mapped).toMatchObject({ outcome: 'event', event: { event: 'SMS Send to Carrier' } });
  });

  it('keeps Braze\'s glossary name without overrides', () => {
    const config = validateConfig(spec.connectionSpecification, { ...base });
    expect(createMapper(resolveSettings(config).mapping)('users_messages_sms_carriersend', carrierSend)).toMatchObject({ event: { event: 'SMS Carrier Send' } });
  });

  it('rejects an incomplete entry naming what is missing', () => {
    expect(() => validateConfig(spec.connectionSpecification, { ...base, event_name_overrides: [{ currents_type: 'users.messages.sms.CarrierSend' }] }))
      .toThrow('config.event_name_overrides.0.event_name is required (Mixpanel event name)');
  });
});
