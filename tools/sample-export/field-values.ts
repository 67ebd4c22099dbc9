/**
 * Plausible values per Currents field name. Each generator returns a "natural" value; the record
 * factory coerces it to the type the catalogue declares for that event type (e.g. `duration` is an
 * int on some types and a float on others).
 */
import { EventContext } from './event-context';
import { asciiEscapedJson, enrichProperties, internationalCustomProperties } from './international';

export type ValueGenerator = (c: EventContext) => unknown;

const CUSTOM_EVENTS: Record<string, (c: EventContext) => Record<string, unknown>> = {
  added_to_cart: (c) => ({ product_id: c.product.id, quantity: c.rng.int(1, 4), price: c.product.price }),
  viewed_product: (c) => ({ product_id: c.product.id, category: c.rng.pick(['shoes', 'outerwear', 'accessories', 'home']) }),
  completed_level: (c) => ({ level: c.rng.int(1, 60), score: c.rng.int(100, 99000), boosters: [c.rng.pick(['bomb', 'shuffle', 'extra_moves'])] }),
  shared_article: (c) => ({ article_id: `a-${c.rng.hex(3)}`, channel: c.rng.pick(['whatsapp', 'copy_link', 'email']) }),
  started_trial: (c) => ({ plan: c.rng.pick(['basic', 'plus', 'pro']), trial_days: c.rng.pick([7, 14, 30]), auto_renew: c.rng.chance(0.8) }),
};
export const CUSTOM_EVENT_NAMES = Object.keys(CUSTOM_EVENTS);

export const PRODUCTS: ReadonlyArray<{ id: string; price: number }> = [
  { id: 'sku-trail-runner-42', price: 129.99 },
  { id: 'sku-rain-jacket-m', price: 89.5 },
  { id: 'sku-wool-beanie', price: 24.0 },
  { id: 'premium_monthly', price: 9.99 },
  { id: 'premium_yearly', price: 79.99 },
  { id: 'coins_pack_500', price: 4.99 },
  { id: 'sku-ceramic-mug', price: 14.25 },
];
export const CURRENCIES = ['USD', 'USD', 'USD', 'EUR', 'GBP', 'JPY', 'BRL'];

/** Braze writes these JSON strings with ", " and ": " separators. */
export function brazeJson(obj: Record<string, unknown>): string {
  return '{' + Object.entries(obj).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ') + '}';
}

/** Three kinds of broken `properties` seen in the wild: truncated, single-quoted, not an object at all. */
function brokenJson(c: EventContext): string {
  switch (c.rng.int(0, 2)) {
    case 0:
      return `{"product_id": "${c.product.id}", "quantity": 2`;
    case 1:
      return `{'plan': 'pro', 'trial_days': 14}`;
    default:
      return 'quantity=2&color=red';
  }
}

/** Braze's own spelling, or, for escape-heavy records, ASCII-escaped JSON as other producers write it. */
function propertiesJson(c: EventContext, props: Record<string, unknown>): string {
  if (!c.text.escapes && !c.text.nested) return brazeJson(props);
  const enriched = enrichProperties(c, props);
  return c.text.escapes ? asciiEscapedJson(enriched) : brazeJson(enriched);
}

function properties(c: EventContext): string {
  if (c.invalidProperties) return brokenJson(c);
  if (!c.customEventName || !c.product) return '{}';
  const props = CUSTOM_EVENTS[c.customEventName]?.(c) ?? internationalCustomProperties(c);
  return props ? propertiesJson(c, props) : '{}';
}

export function purchaseProperties(c: EventContext): string {
  if (c.invalidProperties) return brokenJson(c);
  const props: Record<string, unknown> = { quantity: c.rng.int(1, 3), source: c.rng.pick(['app', 'web', 'in_store']) };
  if (c.rng.chance(0.3)) props.coupon = c.rng.pick(['SPRING10', 'WELCOME5', 'VIP20']);
  return propertiesJson(c, props);
}

const USER_AGENTS: Record<string, string> = {
  ios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  android: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
  web: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
};

const phone = (c: EventContext) => c.user.phone;
const businessNumber = () => '+18885550142';
const uuid = (c: EventContext) => c.rng.uuid();
const bson = (c: EventContext) => c.rng.hex(12);

/** Generators by field name; anything not listed falls back to a generator by type (see `fallbackFor`). */
export const FIELD_GENERATORS: Record<string, ValueGenerator> = {
  user_id: (c) => c.user.userId,
  external_user_id: (c) => c.user.externalId ?? null,
  time: (c) => c.time,
  time_ms: (c) => c.time * 1000 + c.rng.int(0, 999),
  timezone: (c) => c.user.timezone,
  app_id: (c) => c.user.app.id,
  app_group_id: (c) => c.world.appGroupId,
  app_group_api_id: (c) => c.world.appGroupId,
  platform: (c) => c.user.app.platform,
  os_version: (c) => c.user.osVersion,
  device_model: (c) => c.user.deviceModel,
  device_id: (c) => c.user.deviceId,
  sdk_version: (c) => c.user.sdkVersion,
  email_address: (c) => c.user.email,
  channel_identifier: (c) => (c.rng.chance(0.7) ? c.user.email : c.user.phone),
  phone_number: phone,
  user_phone_number: phone,
  to_phone_number: phone,
  from_phone_number: businessNumber,
  inbound_phone_number: businessNumber,
  first_name: (c) => c.user.firstName,
  last_name: (c) => c.user.lastName,
  gender: (c) => c.user.gender,
  dob: (c) => c.user.dob,
  home_city: (c) => c.user.city,
  country: (c) => c.user.country,
  language: (c) => c.user.language,
  locale_key: (c) => `${c.user.language}-${c.user.country.toLowerCase()}`,
  ad_id: (c) => c.user.adId,
  ad_id_type: (c) => ({ ios: 'ios_idfa', android: 'google_ad_id', web: 'web_cookie' })[c.user.app.platform],
  ad_tracking_enabled: (c) => c.rng.chance(0.7),
  push_token: (c) => c.user.pushToken,
  user_agent: (c) => USER_AGENTS[c.user.app.platform],
  browser: (c) => c.rng.pick(['Chrome', 'Safari', 'Mobile Safari', 'Firefox', 'Chrome Mobile iOS']),
  device_class: (c) => c.rng.pick(['desktop', 'mobile', 'tablet']),
  device_os: (c) => c.rng.pick(['iOS', 'Android', 'Windows', 'Mac OS X']),
  campaign_id: (c) => c.campaign?.id ?? null,
  campaign_name: (c) => c.campaign?.name ?? null,
  message_variation_id: (c) => (c.campaign ? c.variation?.id : null) ?? null,
  message_variation_name: (c) => (c.campaign ? c.variation?.name : null) ?? null,
  canvas_id: (c) => c.canvas?.id ?? null,
  canvas_api_id: (c) => c.canvas?.id ?? null,
  canvas_name: (c) => c.canvas?.name ?? null,
  canvas_variation_id: (c) => (c.canvas ? c.variation?.id : null) ?? null,
  canvas_variation_api_id: (c) => (c.canvas ? c.variation?.id : null) ?? null,
  canvas_variation_name: (c) => (c.canvas ? c.variation?.name : null) ?? null,
  canvas_step_id: (c) => c.step?.id ?? null,
  canvas_step_api_id: (c) => c.step?.id ?? null,
  canvas_step_name: (c) => c.step?.name ?? null,
  canvas_step_message_variation_id: (c) => (c.step ? c.rng.uuid() : null),
  next_step_id: (c) => (c.canvas ? c.rng.pick(c.canvas.steps).id : null),
  is_canvas_entry: (c) => c.rng.chance(0.2),
  experiment_split_name: (c) => c.rng.pick(['Control', 'Path A', 'Path B']),
  dispatch_id: bson,
  send_id: bson,
  content_optimizer_step_id: bson,
  orphaned_by_id: bson,
  session_id: uuid,
  esp: (c) => c.rng.pick(['SendGrid', 'SparkPost', 'Amazon SES']),
  ip_pool: (c) => c.rng.pick(['marketing', 'transactional']),
  sending_ip: (c) => `192.0.2.${c.rng.int(1, 254)}`,
  from_domain: () => 'mail.example.com',
  recipient_domain: (c) => c.user.email.split('@')[1],
  mailbox_provider: (c) => c.rng.pick(['Gmail', 'Yahoo', 'Microsoft', 'Apple', 'Other']),
  machine_open: (c) => (c.rng.chance(0.35) ? 'true' : 'false'),
  is_amp: (c) => c.rng.chance(0.05),
  bounce_reason: (c) => c.rng.pick(['550 5.1.1 The email account that you tried to reach does not exist', '552 5.2.2 Mailbox full', 'invalid push token']),
  deferral_reason: () => '421 4.7.0 Temporary rate limit, try again later',
  abort_type: (c) => c.rng.pick(['liquid_abort_message', 'rate_limited', 'user_not_subscribed', 'quiet_hours']),
  abort_log: (c) => c.rng.pick(['aborted by Liquid abort_message tag', 'frequency cap reached', 'user unsubscribed before send']),
  error: (c) => c.rng.pick(['ConnectionTimeout', 'InvalidRecipient', 'ProviderRejected']),
  url: (c) => `https://shop.example.com/${c.rng.pick(['sale', 'new', 'cart', 'account'])}?utm_source=braze`,
  url_path: (c) => `/${c.rng.pick(['sale', 'new', 'cart', 'account'])}`,
  short_url: (c) => `https://brz.ai/${c.rng.hex(4)}`,
  link_alias: (c) => c.rng.pick(['hero_cta', 'footer_unsub', 'product_1', 'logo']),
  button_id: (c) => String(c.rng.int(0, 1)),
  button_string: (c) => c.rng.pick(['Shop now', 'Remind me later', 'Claim offer']),
  button_action_type: (c) => c.rng.pick(['uri', 'deep_link', 'close']),
  channel: (c) => c.rng.pick(['email', 'push', 'sms', 'whatsapp', 'in_app_message']),
  subscription_status: (c) => c.rng.pick(['Subscribed', 'Unsubscribed', 'Opted In']),
  action: (c) => c.rng.pick(['Subscribed', 'Unsubscribed']),
  category: (c) => c.rng.pick(['opt-in', 'opt-out', 'help']),
  state_change_source: (c) => c.rng.pick(['REST API', 'SDK', 'Dashboard', 'Subscription Center', 'Migration']),
  update_source: (c) => c.rng.pick(['REST', 'SDK', 'CSV']),
  push_token_state_change_type: (c) => c.rng.pick(['add', 'remove', 'update']),
  push_token_created_at: (c) => c.time - c.rng.int(86400, 86400 * 400),
  push_token_updated_at: (c) => c.time - c.rng.int(0, 86400 * 30),
  ios_push_token_apns_gateway: (c) => c.rng.int(1, 2),
  carrier: (c) => c.rng.pick(['T-Mobile', 'Verizon', 'AT&T', 'Vodafone']),
  name: (c) => c.customEventName,
  properties: (c) => properties(c),
  custom_attributes: (c) => brazeJson({ loyalty_tier: c.rng.pick(['bronze', 'silver', 'gold']), favourite_color: c.rng.pick(['red', 'blue', 'green']) }),
  flow_response_json: (c) => brazeJson({ rating: c.rng.int(1, 5), comment: c.rng.pick(['great', 'ok', 'slow delivery']) }),
  tool_arguments: (c) => brazeJson({ query: c.rng.pick(['order status', 'refund policy']), limit: c.rng.int(1, 10) }),
  product_id: (c) => c.product.id,
  price: (c) => c.product.price,
  currency: (c) => c.product.currency,
  latitude: (c) => Math.round((c.rng.float() * 120 - 50) * 1e5) / 1e5,
  longitude: (c) => Math.round((c.rng.float() * 340 - 170) * 1e5) / 1e5,
  altitude: (c) => c.rng.int(0, 800),
  ll_accuracy: (c) => c.rng.int(3, 60),
  alt_accuracy: (c) => c.rng.int(3, 30),
  duration: (c) => c.rng.int(5, 1800),
  random_bucket_number: (c) => c.rng.int(0, 9999),
  prev_random_bucket_number: (c) => c.rng.int(0, 9999),
  conversion_behavior: (c) => `Performs custom event "${c.rng.pick(CUSTOM_EVENT_NAMES)}"`,
  conversion_behavior_index: (c) => c.rng.int(0, 2),
  in_control_group: (c) => c.rng.chance(0.1),
  message_body: (c) => c.rng.pick(['YES', 'STOP', 'When does my order arrive?', 'HELP']),
  quick_reply_text: (c) => c.rng.pick(['Yes please', 'Not now']),
  media_urls: (c) => [`https://media.example.com/${c.rng.hex(6)}.jpg`],
  suspected_bot_click_reason: (c) => [c.rng.pick(['user_agent', 'ip_address', 'click_timing'])],
  is_suspected_bot_click: (c) => c.rng.chance(0.05),
  http_status_code: (c) => c.rng.pick([429, 500, 502, 503, 404]),
  webhook_duration: (c) => c.rng.int(20, 3000),
  content_length: (c) => c.rng.int(0, 4096),
  retry_count: (c) => c.rng.int(0, 5),
  attempt_count: (c) => c.rng.int(1, 6),
  model_name: (c) => c.rng.pick(['gpt-4o-mini', 'claude-sonnet', 'gemini-flash']),
  model_provider: (c) => c.rng.pick(['openai', 'anthropic', 'google']),
  live_activity_event_type: (c) => c.rng.pick(['start', 'update', 'end']),
  live_activity_event_outcome: (c) => c.rng.pick(['Success', 'Success', 'Failure']),
  template_name: (c) => c.rng.pick(['order_shipped_v2', 'spring_promo', 'otp_code']),
  message_id: (c) => `wamid.${c.rng.bytes(24).toString('base64')}`,
  in_reply_to: (c) => `wamid.${c.rng.bytes(24).toString('base64')}`,
  flow_id: (c) => String(c.rng.int(1e15, 9e15)),
  endpoint_url: () => 'https://hooks.example.com/braze',
  host: () => 'hooks.example.com',
  feature_flag_id_name: (c) => c.rng.pick(['new_checkout', 'dark_mode', 'ai_recommendations']),
  provider_error_code: (c) => c.rng.pick(['30005', '30006', '21610']),
};

const WORDS = ['alpha', 'beta', 'delta', 'omega', 'nova', 'terra', 'lumen', 'vector'];

/** Type-based fallback for fields without a dedicated generator. */
export function fallbackFor(name: string, type: string): ValueGenerator {
  switch (type) {
    case 'int':
    case 'long':
      return (c) => c.rng.int(0, 100);
    case 'float':
      return (c) => Math.round(c.rng.float() * 10000) / 100;
    case 'boolean':
      return (c) => c.rng.chance(0.5);
    case 'array<string>':
      return (c) => [c.rng.pick(WORDS)];
    default:
      if (name.endsWith('_id')) return uuid;
      if (name.endsWith('_name')) return (c) => `${c.rng.pick(WORDS)} ${c.rng.int(1, 20)}`;
      return (c) => `${name}_${c.rng.pick(WORDS)}`;
  }
}
