/**
 * A connector spec seen as Meltano sees settings: flat dotted names (`storage.credentials.auth_type`), oneOf
 * options merged under their parent, and the minimal required sets per oneOf branch (one per auth method).
 */
type Schema = Record<string, any>;

export interface FlatSetting {
  name: string;
  schema: Schema;
  /** Discriminator / enum values a setting may take (oneOf consts merged across options). */
  values?: unknown[];
  secret: boolean;
}

export function flattenSettings(spec: Schema, prefix = ''): FlatSetting[] {
  const byName = new Map<string, FlatSetting>();
  const add = (s: FlatSetting) => {
    const known = byName.get(s.name);
    if (!known) byName.set(s.name, s);
    else if (s.values) known.values = [...(known.values ?? []), ...s.values];
  };
  for (const [name, schema] of Object.entries<Schema>(spec.properties ?? {})) {
    const full = prefix + name;
    if (Array.isArray(schema.oneOf)) schema.oneOf.forEach((option: Schema) => flattenSettings(option, `${full}.`).forEach(add));
    else if (schema.type === 'object' && schema.properties) flattenSettings(schema, `${full}.`).forEach(add);
    else add({ name: full, schema, values: schema.const !== undefined ? [schema.const] : schema.enum, secret: schema.airbyte_secret === true });
  }
  return [...byName.values()];
}

/** A minimal valid config shape: required setting names plus the discriminator values that select the branch. */
export interface Branch { names: string[]; consts: Record<string, unknown> }

/**
 * The minimal setting sets of a spec: the required properties, expanded through every oneOf (required or not:
 * each auth method is a branch of its own).
 */
export function requiredBranches(schema: Schema, prefix = ''): Branch[] {
  let branches: Branch[] = [{ names: [], consts: {} }];
  const required = new Set<string>(schema.required ?? []);
  for (const [name, sub] of Object.entries<Schema>(schema.properties ?? {})) {
    const full = prefix + name;
    let choices: Branch[] | undefined;
    if (Array.isArray(sub.oneOf)) choices = sub.oneOf.flatMap((option: Schema) => requiredBranches(option, `${full}.`));
    else if (sub.type === 'object' && sub.properties && required.has(name)) choices = requiredBranches(sub, `${full}.`);
    else if (required.has(name)) choices = [{ names: [full], consts: sub.const !== undefined ? { [full]: sub.const } : {} }];
    if (!choices) continue;
    branches = branches.flatMap((b) => choices!.map((c) => ({ names: [...b.names, ...c.names], consts: { ...b.consts, ...c.consts } })));
  }
  return branches;
}
