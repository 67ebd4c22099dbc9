/** Lookups over the generated Currents catalogue: by dotted type (exact or any case) and by Airbyte stream name. */
import { CATALOGUE } from './catalogue.generated';

export interface CatalogueType {
  /** Dotted Currents type, e.g. `users.messages.email.Open`. */
  type: string;
  status: 'current' | 'removed';
  /** The Mixpanel event name in Braze's glossary; null when Braze does not export the type to Mixpanel. */
  glossaryName: string | null;
  /** Mixpanel properties documented for the type (includes the fixed ones: distinct_id, time, token, …). */
  properties: readonly string[];
}

/** The stream name of a dotted type (DESIGN §4.3): lower-cased, `.` → `_`. */
export function streamNameOf(type: string): string {
  return type.toLowerCase().replace(/\./g, '_');
}

const byExactType = new Map<string, CatalogueType>();
const byLowerType = new Map<string, CatalogueType>();
const byStream = new Map<string, CatalogueType>();
for (const entry of CATALOGUE) {
  byExactType.set(entry.type, entry);
  byLowerType.set(entry.type.toLowerCase(), entry);
  byStream.set(streamNameOf(entry.type), entry);
}

/** Finds a catalogued type by its dotted name; tolerates a different letter case (Braze's casing has varied). */
export function findType(dottedType: string): CatalogueType | undefined {
  return byExactType.get(dottedType) ?? byLowerType.get(dottedType.toLowerCase());
}

/** Finds the catalogued type whose stream name this is. */
export function findTypeByStream(stream: string): CatalogueType | undefined {
  return byStream.get(stream) ?? byStream.get(stream.toLowerCase());
}

export function allTypes(): readonly CatalogueType[] {
  return CATALOGUE;
}
