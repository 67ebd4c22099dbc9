/**
 * Secret redaction. Every value of a spec field marked `airbyte_secret` (at any depth, including inside
 * oneOf options) is collected from the config and masked in every line the connector prints.
 */
import type { JsonObject } from './protocol';

export const MASK = '**********';

type Schema = { properties?: Record<string, Schema>; oneOf?: Schema[]; anyOf?: Schema[]; items?: Schema; airbyte_secret?: boolean };

export function collectSecrets(schema: Schema | undefined, value: unknown, found: Set<string> = new Set()): Set<string> {
  if (!schema || value === null || value === undefined) return found;
  if (schema.airbyte_secret && (typeof value === 'string' || typeof value === 'number')) {
    const secret = String(value);
    if (secret.length > 0) found.add(secret);
    return found;
  }
  if (typeof value !== 'object') return found;
  const obj = value as JsonObject;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) collectSecrets(sub, obj[key], found);
  // A oneOf option's secret fields apply whichever option the config chose.
  for (const option of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) collectSecrets(option, value, found);
  if (schema.items && Array.isArray(value)) for (const item of value) collectSecrets(schema.items, item, found);
  return found;
}

export type Redactor = (text: string) => string;

export function makeRedactor(secrets: Iterable<string>): Redactor {
  // Mask the raw value and its JSON-escaped form (how it appears inside a serialized message);
  // longest first so a secret containing another is masked whole.
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 3) continue; // masking 1–2 characters would shred every line and protects nothing
    variants.add(secret);
    variants.add(JSON.stringify(secret).slice(1, -1));
  }
  const needles = [...variants].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(MASK);
    return out;
  };
}
