/**
 * Per-type property copiers, compiled once per Currents type. A generated function with constant property names
 * keeps V8's property stores named (the event object stays in fast mode with one shape per type); a generic loop
 * of keyed stores turns every event object with more than a dozen properties into a slow dictionary, which costs
 * more than the rest of the mapping and makes JSON.stringify slower too.
 */

export type FieldCopier = (source: Record<string, unknown>, target: Record<string, unknown>) => void;

/** Copies each [target, source] field pair whose source value is neither null nor undefined. */
export function compileFieldCopier(pairs: ReadonlyArray<readonly [string, string]>): FieldCopier {
  // Names come from our generated catalogue; JSON.stringify makes each a safe string literal in any case.
  const body = pairs
    .map(([to, from]) => `v = s[${JSON.stringify(from)}]; if (v !== null && v !== undefined) t[${JSON.stringify(to)}] = v;`)
    .join('\n');
  return new Function('s', 't', `let v;\n${body}`) as FieldCopier;
}
