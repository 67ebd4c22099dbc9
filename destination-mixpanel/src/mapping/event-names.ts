/**
 * Mixpanel event names for Currents types: the documented (glossary) name, our decisions where the reference
 * disagrees with itself, and the derivation used for types Braze does not export.
 */
import type { CatalogueType } from './catalogue';

/** Prefix Braze puts before a custom event's own name (one space after the bracket). */
export const CUSTOM_EVENT_PREFIX = '[Braze Custom Event] ';
export const CUSTOM_EVENT_TYPE = 'users.behaviors.CustomEvent';

/**
 * Where the reference contradicts itself, the name we send and why (also listed in MAPPING.md).
 * Each entry is covered by a test.
 */
export const NAME_DECISIONS: Readonly<Record<string, { name: string; why: string }>> = {
  // CONFLICT: Braze's glossary Mixpanel tab says "SMS Carrier Send"; Mixpanel's Braze page (MTU-exempt list) says
  // "SMS Send to Carrier". We follow the glossary: it documents the payload Braze itself builds and follows the
  // "<Channel> <Action>" pattern of every other SMS event; Mixpanel's page paraphrases (Segment says "SMS Sent to
  // Carrier"), and whether the MTU exemption applies to events not sent by Braze is unverified anyway.
  'users.messages.sms.CarrierSend': {
    name: 'SMS Carrier Send',
    why:
      "Braze's glossary (which documents Braze's own payload) says 'SMS Carrier Send'; Mixpanel's Braze page says " +
      "'SMS Send to Carrier'. The glossary wins; the other spelling is available through event_name_overrides.",
  },
};

/**
 * LINE and RCS tabs of the glossary give bare verbs ("Click", "Send", RCS "Abort " with a trailing space) while
 * the same glossary says "LINE Inbound Receive" and every other channel is "<Channel> <Action>". Bare names would
 * merge LINE and RCS events (and any other "Click") in Mixpanel, so we prefix the channel to the glossary's verb;
 * neither channel is on Braze's list of Mixpanel-supported events, so no existing dashboard relies on the bare form.
 */
const CHANNEL_PREFIXED_WHEN_BARE: Readonly<Record<string, string>> = {
  'users.messages.line.': 'LINE',
  'users.messages.rcs.': 'RCS',
};

/** Labels for namespace segments of dotted types, as Braze writes them in its Mixpanel names. */
const SEGMENT_LABELS: Readonly<Record<string, string>> = {
  agentconsole: 'Agent Console',
  banner: 'Banner',
  campaigns: 'Campaign',
  canvas: 'Canvas',
  canvasstep: 'Canvas Step',
  contentcard: 'Content Card',
  costep: 'Content Optimizer Step', // its fields are content_optimizer_step_id / combination_token
  email: 'Email',
  experimentstep: 'Experiment Step',
  exit: 'Exit',
  featureflag: 'Feature Flag',
  inappmessage: 'In-App Message',
  line: 'LINE',
  liveactivity: 'Live Activity',
  newsfeedcard: 'News Feed Card',
  profile: 'Profile',
  pushnotification: 'Push Notification',
  rcs: 'RCS',
  sms: 'SMS',
  subscription: 'Subscription',
  subscriptiongroup: 'Subscription Group',
  webhook: 'Webhook',
  whatsapp: 'WhatsApp',
};

/** Category segments Braze leaves out of names (users.behaviors.app.FirstSession → "First Session"). */
const SILENT_SEGMENTS = new Set(['users', 'messages', 'behaviors', 'app']);

/** "MarkAsSpam" → "Mark As Spam"; "lowercase" → "Lowercase". */
function words(camel: string): string {
  const spaced = camel.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/**
 * The name Braze's pattern gives a type: the label of the innermost namespace segment (category segments such
 * as `users`, `messages`, `behaviors`, `app` are silent) followed by the action in words.
 * `users.messages.email.Retry` → "Email Retry"; `users.canvas.experimentstep.Conversion` → "Experiment Step
 * Conversion"; `users.profile.Update` → "Profile Update"; `agentconsole.AgentExecuted` → "Agent Console Agent Executed".
 */
export function deriveEventName(dottedType: string): string {
  const segments = dottedType.split('.');
  const action = words(segments[segments.length - 1]);
  const namespace = segments.slice(0, -1).filter((s) => !SILENT_SEGMENTS.has(s.toLowerCase()));
  if (namespace.length === 0) return action;
  const inner = namespace[namespace.length - 1];
  const label = SEGMENT_LABELS[inner.toLowerCase()] ?? words(inner);
  return `${label} ${action}`;
}

/** The documented name after our decisions (null when Braze does not export the type). */
export function documentedEventName(entry: CatalogueType): string | null {
  const decided = NAME_DECISIONS[entry.type];
  if (decided) return decided.name;
  if (entry.glossaryName === null) return null;
  const glossary = entry.glossaryName.trim();
  for (const prefix of Object.keys(CHANNEL_PREFIXED_WHEN_BARE)) {
    if (!entry.type.startsWith(prefix)) continue;
    const label = CHANNEL_PREFIXED_WHEN_BARE[prefix];
    return glossary.startsWith(label + ' ') ? glossary : `${label} ${glossary}`;
  }
  return glossary;
}
