/**
 * REST API keys of the local workspace and their permissions. Braze: an unknown (or quoted) key, or a key of
 * another instance → 401; a valid key without the endpoint's permission → 403 "Access Denied"
 * (reference/braze_rest_cohorts.md §1.1, §1.6).
 */
export interface ApiKeySpec {
  key: string;
  /** e.g. ['users.track']. */
  permissions: string[];
}

export type AuthVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

export class ApiKeys {
  private readonly keys = new Map<string, Set<string>>();

  constructor(specs: ApiKeySpec[]) {
    this.add(specs);
  }

  add(specs: ApiKeySpec[]): void {
    for (const spec of specs) this.keys.set(spec.key, new Set(spec.permissions));
  }

  /** Checks `Authorization: Bearer <key>` for `permission`. */
  authorize(header: string | undefined, permission: string): AuthVerdict {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return { ok: false, status: 401, message: 'Unauthorized: missing or malformed Authorization: Bearer header' };
    const permissions = this.keys.get(match[1]);
    if (!permissions) return { ok: false, status: 401, message: 'Unauthorized: Invalid API key' };
    if (!permissions.has(permission)) return { ok: false, status: 403, message: 'Access Denied' };
    return { ok: true };
  }
}
