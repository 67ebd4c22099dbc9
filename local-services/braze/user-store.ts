/**
 * The users of the local Braze workspace, keyed by external id, with Braze's custom-attribute semantics
 * (facts: ../shared/reference/braze_rest_cohorts.md §1.2–1.3):
 * - arrays hold unique values; adding a value already present moves it to the end;
 * - an array keeps at most `arrayMaxLength` values (Braze: 25–500 depending on the workspace); beyond that the
 *   oldest values are dropped first;
 * - a string value is at most 255 characters.
 * It also records every user a request created, so tests can assert that `_update_existing_only` was honoured.
 */

export const MAX_VALUE_LENGTH = 255;
export const MIN_ARRAY_MAX_LENGTH = 25;
export const MAX_ARRAY_MAX_LENGTH = 500;

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface UserStoreOptions {
  /** Values kept per array attribute (25–500). Default 500 (Braze's newest default). */
  arrayMaxLength?: number;
  /** Per-attribute overrides of arrayMaxLength (Braze sets the limit per attribute). */
  arrayMaxLengthByAttribute?: Record<string, number>;
  /**
   * Every external id counts as an existing user (created silently on first write, never reported as
   * "created by a request"). For benchmarks: no need to seed a million users.
   */
  anyExternalIdExists?: boolean;
  /**
   * Benchmarks: every external id exists and writes are checked and applied to a scratch copy that is not
   * kept, so memory stays flat however many users are written.
   */
  countOnly?: boolean;
}

/** An array operation on one attribute of one user: `{ "add": [...], "remove": [...] }`. */
export interface ArrayOperation {
  add?: AttributeValue[];
  remove?: AttributeValue[];
}

function checkArrayMaxLength(n: number, what: string): number {
  if (!Number.isInteger(n) || n < MIN_ARRAY_MAX_LENGTH || n > MAX_ARRAY_MAX_LENGTH) {
    throw new Error(`${what} must be an integer from ${MIN_ARRAY_MAX_LENGTH} to ${MAX_ARRAY_MAX_LENGTH}, got ${n}`);
  }
  return n;
}

export class UserStore {
  private readonly users = new Map<string, Map<string, AttributeValue>>();
  private readonly created = new Set<string>();
  private readonly arrayMaxLength: number;
  private readonly overrides: Record<string, number>;
  private readonly anyExists: boolean;
  private readonly countOnly: boolean;

  constructor(options: UserStoreOptions = {}) {
    this.arrayMaxLength = checkArrayMaxLength(options.arrayMaxLength ?? MAX_ARRAY_MAX_LENGTH, 'arrayMaxLength');
    this.overrides = {};
    for (const [name, n] of Object.entries(options.arrayMaxLengthByAttribute ?? {})) {
      this.overrides[name] = checkArrayMaxLength(n, `arrayMaxLengthByAttribute.${name}`);
    }
    this.countOnly = options.countOnly ?? false;
    this.anyExists = this.countOnly || (options.anyExternalIdExists ?? false);
  }

  /** Adds existing users (as if created in Braze before), with optional initial attribute values. */
  seed(externalIds: Iterable<string>, attributes: Record<string, AttributeValue> = {}): void {
    for (const id of externalIds) {
      const user = this.users.get(id) ?? new Map<string, AttributeValue>();
      for (const [name, value] of Object.entries(attributes)) user.set(name, Array.isArray(value) ? [...value] : value);
      this.users.set(id, user);
    }
  }

  exists(externalId: string): boolean {
    return this.anyExists || this.users.has(externalId);
  }

  /** The user's attributes, creating the user when needed; `byRequest` marks a creation Braze would have billed. */
  attributesFor(externalId: string, byRequest: boolean): Map<string, AttributeValue> {
    let user = this.users.get(externalId);
    if (!user && this.countOnly) return new Map();
    if (!user) {
      user = new Map();
      this.users.set(externalId, user);
      if (byRequest && !this.anyExists) this.created.add(externalId);
    }
    return user;
  }

  maxLengthOf(attribute: string): number {
    return this.overrides[attribute] ?? this.arrayMaxLength;
  }

  /** Applies remove, then add (so a value in both ends up present, at the end), then the length cap. */
  applyArrayOperation(user: Map<string, AttributeValue>, attribute: string, op: ArrayOperation): void {
    const current = user.get(attribute);
    const values: AttributeValue[] = Array.isArray(current) ? current : [];
    const key = (v: AttributeValue) => JSON.stringify(v);
    const removed = new Set((op.remove ?? []).map(key));
    let next = removed.size > 0 ? values.filter((v) => !removed.has(key(v))) : values.slice();
    for (const value of op.add ?? []) {
      const k = key(value);
      next = next.filter((v) => key(v) !== k);
      next.push(value);
    }
    const max = this.maxLengthOf(attribute);
    if (next.length > max) next = next.slice(next.length - max);
    user.set(attribute, next);
  }

  /** Sets a plain value; `null` deletes the attribute (Braze's rule). */
  setAttribute(user: Map<string, AttributeValue>, attribute: string, value: AttributeValue): void {
    if (value === null) user.delete(attribute);
    else if (Array.isArray(value)) {
      const unique = [...new Map(value.map((v) => [JSON.stringify(v), v])).values()];
      const max = this.maxLengthOf(attribute);
      user.set(attribute, unique.length > max ? unique.slice(unique.length - max) : unique);
    } else user.set(attribute, value);
  }

  /** A user's attributes as a plain object, or undefined for an unknown user. */
  get(externalId: string): Record<string, AttributeValue> | undefined {
    const user = this.users.get(externalId);
    return user ? Object.fromEntries(user) : undefined;
  }

  /** The array attribute of a user ([] when absent or the user is unknown). */
  array(externalId: string, attribute: string): AttributeValue[] {
    const value = this.users.get(externalId)?.get(attribute);
    return Array.isArray(value) ? [...value] : [];
  }

  /** External ids whose `attribute` array contains `value`. */
  holdersOf(attribute: string, value: AttributeValue): string[] {
    const k = JSON.stringify(value);
    const out: string[] = [];
    for (const [id, user] of this.users) {
      const arr = user.get(attribute);
      if (Array.isArray(arr) && arr.some((v) => JSON.stringify(v) === k)) out.push(id);
    }
    return out;
  }

  externalIds(): string[] {
    return [...this.users.keys()];
  }

  /** External ids of users a request created (never happens when every write used `_update_existing_only: true`). */
  createdByRequests(): string[] {
    return [...this.created];
  }

  get createdCount(): number {
    return this.created.size;
  }

  clear(): void {
    this.users.clear();
    this.created.clear();
  }
}
