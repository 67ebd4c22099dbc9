/**
 * Turns a catalogue event type into a fast record maker: field generators are resolved and
 * coerced to the declared Avro type once per type, then each record is just a loop over them.
 */
import { CatalogueEventType, CatalogueFieldType } from './catalogue';
import { fieldAddedInNewerSchema, orderedFields } from './avro-schema';
import { EventContext } from './event-context';
import { CURRENCIES, CUSTOM_EVENT_NAMES, FIELD_GENERATORS, PRODUCTS, ValueGenerator, fallbackFor, purchaseProperties } from './field-values';
import { INTERNATIONAL_CUSTOM_EVENT_NAMES } from './international';
import { Prng } from './prng';
import type { CanaryMaker } from './canaries';
import { World } from './world';

export type GeneratedRecord = Record<string, unknown> & { id: string };

interface CompiledField {
  name: string;
  /** Probability that an optional field carries a value (generators may still return null). */
  presence: number;
  generate: ValueGenerator;
}

/** Per-type generator overrides where the same field name means something else. */
const TYPE_OVERRIDES: Record<string, Record<string, ValueGenerator>> = {
  'users.behaviors.Purchase': { properties: purchaseProperties },
};

/** Fields whose nullness is decided by the generator itself (user or campaign/Canvas context). */
const CONTEXT_DRIVEN = new Set([
  'external_user_id', 'campaign_id', 'message_variation_id', 'canvas_id', 'canvas_api_id', 'canvas_variation_id',
  'canvas_variation_api_id', 'canvas_step_id', 'canvas_step_api_id', 'canvas_step_message_variation_id', 'next_step_id',
]);
/** Names may lag behind for a while after a rename (Braze writes null): rarely absent. */
const NAME_FIELDS = new Set(['campaign_name', 'canvas_name', 'canvas_variation_name', 'canvas_step_name', 'message_variation_name']);
/** Device/app basics are nearly always set by the SDK. */
const NEARLY_ALWAYS = new Set(['app_id', 'app_group_id', 'platform', 'os_version', 'device_model', 'device_id', 'timezone', 'time_ms', 'name', 'properties']);

function coercer(type: CatalogueFieldType): (v: unknown) => unknown {
  switch (type) {
    case 'string':
      return (v) => (v === null || v === undefined ? v : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
    case 'int':
      return (v) => (typeof v === 'number' ? Math.max(-2147483648, Math.min(2147483647, Math.round(v))) : v === null ? null : 0);
    case 'long':
      return (v) => (typeof v === 'number' ? Math.round(v) : v === null ? null : 0);
    case 'float':
      return (v) => (typeof v === 'number' ? v : v === null ? null : 0);
    case 'boolean':
      return (v) => (v === null ? null : Boolean(v));
    case 'array<string>':
      return (v) => (v === null ? null : Array.isArray(v) ? v.map(String) : [String(v)]);
  }
}

function presenceOf(name: string): number {
  if (CONTEXT_DRIVEN.has(name)) return 1;
  if (NAME_FIELDS.has(name)) return 0.98;
  if (NEARLY_ALWAYS.has(name)) return 0.99;
  return 0.85;
}

export interface RecordFactoryOptions {
  invalidPropertiesFraction: number;
  /** Realistic text (options.ts); absent or 0 = ASCII-only, and no extra random draws. */
  internationalFraction?: number;
  jsonEscapesFraction?: number;
  nestedPropertiesFraction?: number;
  /** Share of identified users' records whose external_user_id is a placeholder Mixpanel refuses. */
  junkIdFraction?: number;
  /** Share of records whose time is years in the future or before 1971 (a destination must reject them). */
  outOfRangeTimeFraction?: number;
  /** Set: every string value becomes a canary (see canaries.ts). */
  canaries?: CanaryMaker;
}

/** Placeholder ids Mixpanel refuses, written by the junkIdFraction option. */
const JUNK_IDS = ['anon', 'null', 'undefined', '0', 'N/A'];
/** 2034 (like Braze's own sample files) and 1965, in UNIX seconds. */
const FUTURE_SECONDS = Date.UTC(2034, 0, 1) / 1000;
const ANCIENT_SECONDS = Date.UTC(1965, 5, 1) / 1000;

export class RecordFactory {
  private readonly fields: CompiledField[];
  private readonly required: ReadonlySet<string>;
  private readonly usesCampaign: boolean;
  private readonly usesCanvas: boolean;
  private readonly usesStep: boolean;
  private readonly usesProduct: boolean;
  private readonly hasProperties: boolean;
  /** Optional field the older schema id lacks; null in records generated for that schema. */
  readonly olderSchemaDrops?: string;

  constructor(
    readonly spec: CatalogueEventType,
    private readonly world: World,
    private readonly rng: Prng,
    private readonly opts: RecordFactoryOptions,
  ) {
    const overrides = TYPE_OVERRIDES[spec.type] ?? {};
    const names = new Set(spec.fields.map((f) => f.name));
    this.required = new Set(spec.fields.filter((f) => !f.optional).map((f) => f.name));
    this.fields = orderedFields(spec)
      .filter((f) => f.name !== 'id')
      .map((f) => {
        const raw = overrides[f.name] ?? FIELD_GENERATORS[f.name] ?? fallbackFor(f.name, f.type);
        const coerce = coercer(f.type);
        const required = !f.optional;
        // A required field never gets null, even from a context-driven generator.
        const fallback = fallbackFor(f.name, f.type);
        const generate: ValueGenerator = required
          ? (c) => {
              const v = coerce(raw(c));
              return v === null || v === undefined ? coerce(fallback(c)) : v;
            }
          : (c) => {
              const v = coerce(raw(c));
              return v === undefined ? null : v;
            };
        return { name: f.name, presence: required ? 1 : presenceOf(f.name), generate };
      });
    this.usesCampaign = names.has('campaign_id');
    this.usesCanvas = names.has('canvas_id') || names.has('canvas_api_id');
    this.usesStep = names.has('canvas_step_id') || names.has('canvas_step_api_id');
    this.usesProduct = names.has('product_id') || names.has('properties');
    this.hasProperties = names.has('properties');
    this.olderSchemaDrops = fieldAddedInNewerSchema(spec);
  }

  /** One event with the given id and time; `generation` 0 = written with the older schema id. */
  make(id: string, time: number, generation: 0 | 1): GeneratedRecord {
    const c = this.context(time);
    const rec: GeneratedRecord = { id };
    for (const f of this.fields) {
      rec[f.name] = f.presence >= 1 || c.rng.chance(f.presence) ? f.generate(c) : null;
    }
    if (generation === 0 && this.olderSchemaDrops) rec[this.olderSchemaDrops] = null;
    this.opts.canaries?.apply(rec);
    this.plantFaults(rec, c.rng);
    return rec;
  }

  /** The optional bad values (junk ids, out-of-range times); draws randomness only when asked for them. */
  private plantFaults(rec: GeneratedRecord, rng: Prng): void {
    const { junkIdFraction = 0, outOfRangeTimeFraction = 0 } = this.opts;
    if (junkIdFraction > 0 && typeof rec.external_user_id === 'string' && rng.chance(junkIdFraction)) rec.external_user_id = rng.pick(JUNK_IDS);
    if (outOfRangeTimeFraction > 0 && typeof rec.time === 'number' && rng.chance(outOfRangeTimeFraction)) {
      rec.time = rng.chance(0.5) ? FUTURE_SECONDS + rng.int(0, 86_400) : ANCIENT_SECONDS + rng.int(0, 86_400);
      if (typeof rec.time_ms === 'number') rec.time_ms = (rec.time as number) * 1000;
    }
  }

  private context(time: number): EventContext {
    const rng = this.rng;
    const world = this.world;
    const c: EventContext = {
      rng,
      world,
      user: rng.pick(world.users),
      time,
      customEventName: '',
      product: undefined as unknown as EventContext['product'],
      invalidProperties: false,
      text: { escapes: false, nested: false },
    };
    const fromCanvas = this.usesCanvas && (!this.usesCampaign || rng.chance(0.5));
    if (fromCanvas) {
      c.canvas = rng.pick(world.canvases);
      c.variation = rng.pick(c.canvas.variations);
      if (this.usesStep) c.step = rng.pick(c.canvas.steps);
    } else if (this.usesCampaign) {
      c.campaign = rng.pick(world.campaigns);
      c.variation = rng.pick(c.campaign.variations);
    }
    if (this.usesProduct) {
      const p = rng.pick(PRODUCTS);
      c.product = { id: p.id, price: p.price, currency: rng.pick(CURRENCIES) };
      c.customEventName = this.chance(this.opts.internationalFraction) ? rng.pick(INTERNATIONAL_CUSTOM_EVENT_NAMES) : rng.pick(CUSTOM_EVENT_NAMES);
    }
    if (this.hasProperties) c.text = { escapes: this.chance(this.opts.jsonEscapesFraction), nested: this.chance(this.opts.nestedPropertiesFraction) };
    if (this.hasProperties && this.opts.invalidPropertiesFraction > 0) {
      c.invalidProperties = rng.chance(this.opts.invalidPropertiesFraction);
    }
    return c;
  }

  /** A draw only when the share is above 0, so options left at 0 keep the output byte-identical. */
  private chance(share: number | undefined): boolean {
    return share !== undefined && share > 0 && this.rng.chance(share);
  }

  isRequired(name: string): boolean {
    return this.required.has(name);
  }
}
