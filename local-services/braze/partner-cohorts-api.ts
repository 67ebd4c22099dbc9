/**
 * Braze's partner cohort import (reference/braze_rest_cohorts.md §2):
 * - `POST /partners/<partner_name>/cohorts` {partner_api_key, client_secret, cohort_id, name, created_at}: creates
 *   the cohort or renames it;
 * - `POST /partners/<partner_name>/cohorts/users` {partner_api_key, client_secret, cohort_id, cohort_changes:
 *   [{user_ids: [...], should_remove?: bool}]}: adds or removes members, at most 1 000 ids per request.
 * Auth is in the body; 401 for an unknown partner key or client secret, 400 for a bad body. Cohort import never
 * creates users: ids of users who do not exist are ignored.
 */
import type { UserStore } from './user-store';

export const MAX_IDS_PER_REQUEST = 1000;

export interface PartnerSpec {
  partnerName: string;
  partnerApiKey: string;
  clientSecret: string;
}

export interface CohortInfo {
  partnerName: string;
  cohortId: string;
  name: string;
  createdAt: string;
  /** Every name the cohort had, oldest first (renames). */
  names: string[];
}

export interface PartnerOutcome {
  status: number;
  body: Record<string, unknown>;
  /** Membership changes applied to existing users. */
  idsApplied: number;
  /** Ids skipped because the user does not exist. */
  idsIgnored: number;
}

class BadRequest extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class PartnerCohorts {
  private readonly partners = new Map<string, PartnerSpec>();
  private readonly cohorts = new Map<string, CohortInfo & { members: Set<string> }>();

  constructor(private readonly users: UserStore, partners: PartnerSpec[]) {
    this.addPartners(partners);
  }

  addPartners(partners: PartnerSpec[]): void {
    for (const p of partners) this.partners.set(p.partnerName, p);
  }

  /** `path` is the part after `/partners/`: `<name>/cohorts` or `<name>/cohorts/users`; null when it is neither. */
  static route(path: string): { partnerName: string; action: 'cohorts' | 'users' } | null {
    const match = /^\/partners\/([^/]+)\/cohorts(\/users)?\/?$/.exec(path);
    if (!match) return null;
    return { partnerName: decodeURIComponent(match[1]), action: match[2] ? 'users' : 'cohorts' };
  }

  handle(partnerName: string, action: 'cohorts' | 'users', raw: Buffer): PartnerOutcome {
    try {
      const body = parseJsonObject(raw);
      this.authenticate(partnerName, body);
      return action === 'cohorts' ? this.upsertCohort(partnerName, body) : this.changeMembers(partnerName, body);
    } catch (err) {
      if (err instanceof BadRequest) return { status: err.status, body: { message: err.message }, idsApplied: 0, idsIgnored: 0 };
      throw err;
    }
  }

  private authenticate(partnerName: string, body: Record<string, unknown>): void {
    const partner = this.partners.get(partnerName);
    if (typeof body.partner_api_key !== 'string' || !partner || body.partner_api_key !== partner.partnerApiKey) {
      throw new BadRequest(401, 'Invalid partner key');
    }
    if (typeof body.client_secret !== 'string' || body.client_secret !== partner.clientSecret) {
      throw new BadRequest(401, 'Invalid client secret');
    }
  }

  private upsertCohort(partnerName: string, body: Record<string, unknown>): PartnerOutcome {
    const cohortId = cohortIdOf(body);
    if (typeof body.name !== 'string' || body.name.trim() === '') throw new BadRequest(400, "'name' must be a non-empty string");
    if (typeof body.created_at !== 'string' || !isIsoTimestamp(body.created_at)) {
      throw new BadRequest(400, "'created_at' must be an ISO-8601 timestamp");
    }
    const key = `${partnerName}\u0000${cohortId}`;
    const existing = this.cohorts.get(key);
    if (existing) {
      if (existing.name !== body.name) existing.names.push(body.name);
      existing.name = body.name;
    } else {
      this.cohorts.set(key, { partnerName, cohortId, name: body.name, createdAt: body.created_at, names: [body.name], members: new Set() });
    }
    return { status: 201, body: { message: 'success' }, idsApplied: 0, idsIgnored: 0 };
  }

  private changeMembers(partnerName: string, body: Record<string, unknown>): PartnerOutcome {
    const cohortId = cohortIdOf(body);
    const cohort = this.cohorts.get(`${partnerName}\u0000${cohortId}`);
    if (!cohort) throw new BadRequest(400, `'cohort_id' ${cohortId} is not a cohort of this client; create it through /cohorts first`);
    const changes = body.cohort_changes;
    if (!Array.isArray(changes)) throw new BadRequest(400, "'cohort_changes' must be an array of objects");
    const parsed = changes.map(parseChange);
    const total = parsed.reduce((n, c) => n + c.userIds.length + c.otherIds.length, 0);
    if (total > MAX_IDS_PER_REQUEST) throw new BadRequest(400, `${total} ids in one request; at most ${MAX_IDS_PER_REQUEST} are allowed`);
    const outcome: PartnerOutcome = { status: 201, body: { message: 'success' }, idsApplied: 0, idsIgnored: 0 };
    for (const change of parsed) {
      // Device ids and aliases are not modelled: like an unknown external id they match no user.
      outcome.idsIgnored += change.otherIds.length;
      for (const id of change.userIds) {
        if (!this.users.exists(id)) {
          outcome.idsIgnored++;
          continue;
        }
        if (change.remove) cohort.members.delete(id);
        else cohort.members.add(id);
        outcome.idsApplied++;
      }
    }
    return outcome;
  }

  cohortInfo(partnerName: string, cohortId: string | number): CohortInfo | undefined {
    const c = this.cohorts.get(`${partnerName}\u0000${cohortId}`);
    return c ? { partnerName: c.partnerName, cohortId: c.cohortId, name: c.name, createdAt: c.createdAt, names: [...c.names] } : undefined;
  }

  members(partnerName: string, cohortId: string | number): string[] {
    return [...(this.cohorts.get(`${partnerName}\u0000${cohortId}`)?.members ?? [])].sort();
  }

  list(): CohortInfo[] {
    return [...this.cohorts.values()].map((c) => this.cohortInfo(c.partnerName, c.cohortId)!);
  }

  clear(): void {
    this.cohorts.clear();
  }
}

function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadRequest(400, 'request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequest(400, 'request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function cohortIdOf(body: Record<string, unknown>): string {
  const id = body.cohort_id;
  if ((typeof id === 'string' && id.trim() !== '') || (typeof id === 'number' && Number.isFinite(id))) return String(id);
  throw new BadRequest(400, "'cohort_id' must be a non-empty string or a number");
}

function isIsoTimestamp(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && Number.isFinite(Date.parse(value));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

interface ParsedChange { userIds: string[]; otherIds: string[]; remove: boolean }

function parseChange(change: unknown): ParsedChange {
  const c = change as { user_ids?: unknown; device_ids?: unknown; aliases?: unknown; should_remove?: unknown } | null;
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new BadRequest(400, "each entry of 'cohort_changes' must be an object");
  if (c.should_remove !== undefined && typeof c.should_remove !== 'boolean') throw new BadRequest(400, "'should_remove' must be a boolean");
  if (c.user_ids === undefined && c.device_ids === undefined && c.aliases === undefined) {
    throw new BadRequest(400, "each entry of 'cohort_changes' needs 'user_ids' and/or 'device_ids' (string arrays) or 'aliases'");
  }
  if (c.user_ids !== undefined && !isStringArray(c.user_ids)) throw new BadRequest(400, "'user_ids' must be an array of strings");
  if (c.device_ids !== undefined && !isStringArray(c.device_ids)) throw new BadRequest(400, "'device_ids' must be an array of strings");
  if (c.aliases !== undefined && !Array.isArray(c.aliases)) throw new BadRequest(400, "'aliases' must be an array of alias objects");
  const otherIds = [...((c.device_ids as string[]) ?? []), ...((c.aliases as unknown[]) ?? []).map((a) => JSON.stringify(a))];
  return { userIds: (c.user_ids as string[]) ?? [], otherIds, remove: c.should_remove === true };
}
