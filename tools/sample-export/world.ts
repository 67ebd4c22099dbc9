/**
 * The small, consistent "workspace" behind a generated export: apps, users, campaigns and Canvases.
 * Events pick from these pools so ids and names stay consistent across event types (a campaign id
 * always comes with its own name, a user always has the same device and e-mail).
 */
import { Prng } from './prng';
import { INTERNATIONAL_CAMPAIGN_NAMES, INTERNATIONAL_CANVAS_NAMES, INTERNATIONAL_DEVICE_MODELS, internationalPerson } from './international';

export type Platform = 'ios' | 'android' | 'web';

export interface App {
  id: string;
  platform: Platform;
}

export interface User {
  userId: string;
  /** Undefined for anonymous users (no external id set in Braze). */
  externalId?: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  gender: 'M' | 'F' | 'O';
  dob: string;
  city: string;
  country: string;
  language: string;
  timezone: string;
  app: App;
  deviceId: string;
  deviceModel: string;
  osVersion: string;
  sdkVersion: string;
  pushToken: string;
  adId: string;
}

export interface Variation {
  id: string;
  name: string;
}

export interface Campaign {
  id: string;
  name: string;
  variations: Variation[];
}

export interface Canvas {
  id: string;
  name: string;
  variations: Variation[];
  steps: Variation[];
}

export interface World {
  appGroupId: string;
  apps: App[];
  users: User[];
  campaigns: Campaign[];
  canvases: Canvas[];
}

const FIRST_NAMES = ['Ava', 'Liam', 'Maya', 'Noah', 'Zoe', 'Ethan', 'Lena', 'Omar', 'Priya', 'Hugo', 'Ines', 'Kenji', 'Sara', 'Tomas', 'Yara', 'Felix'];
const LAST_NAMES = ['Martin', 'Garcia', 'Chen', 'Okafor', 'Novak', 'Silva', 'Kowalski', 'Haddad', 'Tanaka', 'Rossi', 'Nielsen', 'Dubois', 'Patel', 'Schmidt'];
const MAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'proton.me', 'example.org'];
const PLACES: Array<[city: string, country: string, tz: string, lang: string]> = [
  ['New York', 'US', 'America/New_York', 'en'],
  ['San Francisco', 'US', 'America/Los_Angeles', 'en'],
  ['Chicago', 'US', 'America/Chicago', 'en'],
  ['Toronto', 'CA', 'America/Toronto', 'en'],
  ['London', 'GB', 'Europe/London', 'en'],
  ['Berlin', 'DE', 'Europe/Berlin', 'de'],
  ['Paris', 'FR', 'Europe/Paris', 'fr'],
  ['Madrid', 'ES', 'Europe/Madrid', 'es'],
  ['Sao Paulo', 'BR', 'America/Sao_Paulo', 'pt'],
  ['Tokyo', 'JP', 'Asia/Tokyo', 'ja'],
  ['Singapore', 'SG', 'Asia/Singapore', 'en'],
  ['Sydney', 'AU', 'Australia/Sydney', 'en'],
  ['Mumbai', 'IN', 'Asia/Kolkata', 'en'],
];
const DEVICES: Record<Platform, { models: string[]; os: string[]; sdk: string[] }> = {
  ios: { models: ['iPhone15,2', 'iPhone16,1', 'iPhone14,7', 'iPad13,18', 'iPhone17,3'], os: ['17.6.1', '18.1', '18.3.2', '16.7.8'], sdk: ['10.3.1', '11.0.0', '11.2.0'] },
  android: { models: ['Pixel 8', 'SM-S921B', 'SM-A546B', 'moto g54 5G', 'CPH2581'], os: ['14', '13', '15', '12'], sdk: ['30.4.0', '32.1.0', '33.0.0'] },
  web: { models: ['Chrome', 'Safari', 'Firefox', 'Edge'], os: ['Windows', 'Mac OS X', 'Linux', 'Android'], sdk: ['5.4.0', '5.6.1'] },
};
const CAMPAIGN_NAMES = ['Spring Sale', 'Welcome Series', 'Cart Reminder', 'Win-Back 30d', 'Weekly Digest', 'Price Drop Alert', 'Loyalty Tier Up', 'App Update Nudge', 'Black Friday Teaser', 'Onboarding Tips', 'Feedback Survey', 'Back In Stock'];
const CANVAS_NAMES = ['New User Onboarding', 'Lapsed User Re-engagement', 'Post-Purchase Journey', 'Trial Conversion', 'Birthday Rewards', 'Subscription Renewal', 'Abandoned Browse', 'VIP Nurture'];
const STEP_NAMES = ['Entry Message', 'Day 1 Email', 'Day 3 Push', 'Reminder SMS', 'Final Offer', 'Delay 24h'];

function bsonId(rng: Prng): string {
  return rng.hex(12);
}

function makeUser(rng: Prng, index: number, apps: App[], anonymous: boolean, international: boolean): User {
  let first = rng.pick(FIRST_NAMES);
  let last = rng.pick(LAST_NAMES);
  let [city, country, timezone, language] = rng.pick(PLACES);
  let mailName = `${first}.${last}`;
  if (international) {
    const person = internationalPerson(rng);
    ({ firstName: first, lastName: last, city, country, timezone, language, mailName } = person);
  }
  const app = rng.pick(apps);
  const dev = DEVICES[app.platform];
  const year = rng.int(1955, 2006);
  return {
    userId: bsonId(rng),
    externalId: anonymous ? undefined : `cust-${String(index + 1).padStart(6, '0')}-${rng.hex(2)}`,
    firstName: first,
    lastName: last,
    email: `${mailName}${rng.int(1, 999)}@${rng.pick(MAIL_DOMAINS)}`.toLowerCase(),
    phone: `+1${rng.int(201, 989)}555${String(rng.int(0, 9999)).padStart(4, '0')}`,
    gender: rng.pick(['M', 'F', 'O'] as const),
    dob: `${year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}T00:00:00.000+00:00`,
    city,
    country,
    language,
    timezone,
    app,
    deviceId: rng.uuid().toUpperCase(),
    deviceModel: international && app.platform !== 'web' ? rng.pick(INTERNATIONAL_DEVICE_MODELS) : rng.pick(dev.models),
    osVersion: rng.pick(dev.os),
    sdkVersion: rng.pick(dev.sdk),
    pushToken: rng.hex(32),
    adId: rng.uuid(),
  };
}

function variations(rng: Prng, labels: string[]): Variation[] {
  return labels.map((name) => ({ id: rng.uuid(), name }));
}

export interface WorldOptions {
  users: number;
  /** Share of users without an external id (anonymous). */
  anonymousFraction: number;
  /** Share of users, campaigns and Canvases with international (non-ASCII) names. */
  internationalFraction?: number;
}

export function buildWorld(rng: Prng, opts: WorldOptions): World {
  const apps: App[] = (['ios', 'android', 'web'] as Platform[]).map((platform) => ({ id: rng.uuid(), platform }));
  const users: User[] = [];
  const intl = opts.internationalFraction ?? 0;
  // Draws for the international choice only happen when it is asked for, so the default output stays byte-identical.
  const international = () => intl > 0 && rng.chance(intl);
  for (let i = 0; i < opts.users; i++) users.push(makeUser(rng, i, apps, rng.chance(opts.anonymousFraction), international()));
  const localized = (names: string[], pool: string[]) => names.map((name, i) => (international() ? pool[i % pool.length] : name));
  const campaigns = localized(CAMPAIGN_NAMES, INTERNATIONAL_CAMPAIGN_NAMES).map((name) => ({ id: rng.uuid(), name, variations: variations(rng, ['Variant 1', 'Variant 2']) }));
  const canvases = localized(CANVAS_NAMES, INTERNATIONAL_CANVAS_NAMES).map((name) => ({
    id: rng.uuid(),
    name,
    variations: variations(rng, ['Variant A', 'Variant B']),
    steps: variations(rng, STEP_NAMES.slice(0, rng.int(3, STEP_NAMES.length))),
  }));
  return { appGroupId: rng.uuid(), apps, users, campaigns, canvases };
}
