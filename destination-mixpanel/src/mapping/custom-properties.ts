/**
 * Custom event / purchase properties: Braze writes them as a JSON string in `properties`; Mixpanel gets each key
 * under a prefix ("[Custom event property] color").
 */

export const CUSTOM_EVENT_PROPERTY_PREFIX = '[Custom event property] ';
export const PURCHASE_PROPERTY_PREFIX = '[Purchase property] ';

/**
 * The entries of `raw` (a JSON object string, or an already-parsed object): an empty object when `raw` is
 * absent or empty, undefined when it is not a JSON object (the invalid-JSON warning case).
 */
export function propertiesObject(raw: unknown): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null || raw === '') return {};
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return parsed as Record<string, unknown>;
}

/**
 * Adds the entries of `raw` to `target` under `prefix`, leaving out null values. Returns false when `raw` is
 * not a JSON object (nothing is added); absent or empty `raw` is fine.
 */
export function addPrefixedProperties(target: Record<string, unknown>, raw: unknown, prefix: string): boolean {
  const entries = propertiesObject(raw);
  if (!entries) return false;
  for (const key in entries) {
    const value = entries[key];
    if (value !== null && value !== undefined) target[prefix + key] = value;
  }
  return true;
}
