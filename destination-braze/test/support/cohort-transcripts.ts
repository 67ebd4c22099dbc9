/**
 * Builds replayable transcripts of what source-mixpanel-cohorts emits (DESIGN §10.2): per cohort its member
 * pages, a per-stream STATE after every page, then the cohort_snapshots record and its STATE. Tests write
 * them to .jsonl files and pipe them into the CLI, as Airbyte would.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';

export interface CohortSpec {
  id: number;
  name: string;
  /** Braze user ids (null = a member without one). */
  members: Array<string | null>;
  snapshotId?: string;
  /** Overrides the snapshot's member_count (to provoke a mismatch). */
  memberCount?: number;
  reason?: 'deleted' | 'deselected';
  /** Leave the snapshot record out (a cohort that failed midway). */
  incomplete?: boolean;
}

export interface TranscriptOptions {
  pageSize?: number;
  round?: string;
  /** Extra lines (already JSON) appended at the end, e.g. LOG or TRACE messages. */
  extra?: unknown[];
}

const record = (stream: string, data: Record<string, unknown>) => ({ type: 'RECORD', record: { stream, data, emitted_at: 1_700_000_000_000 } });
const state = (stream: string, streamState: Record<string, unknown>, recordCount: number) => ({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: streamState }, sourceStats: { recordCount } } });

export function transcript(cohorts: CohortSpec[], options: TranscriptOptions = {}): unknown[] {
  const pageSize = options.pageSize ?? 3;
  const round = options.round ?? 'r1';
  const lines: unknown[] = [];
  let since = 0; // records since the last STATE: the source's sourceStats.recordCount (each STATE follows its own stream's records)
  const addRecord = (stream: string, data: Record<string, unknown>) => {
    since++;
    lines.push(record(stream, data));
  };
  const addState = (stream: string, streamState: Record<string, unknown>) => {
    lines.push(state(stream, streamState, since));
    since = 0;
  };
  for (const c of cohorts) {
    addRecord('cohorts', { id: c.id, name: c.name, description: '', count: c.members.length, is_visible: 1, created: '2024-01-02 03:04:05', project_id: 1 });
  }
  addState('cohorts', { round });
  for (const c of cohorts) {
    const snapshotId = c.snapshotId ?? `${round}-${c.id}`;
    for (let page = 0; page * pageSize < c.members.length; page++) {
      c.members.slice(page * pageSize, (page + 1) * pageSize).forEach((userId, i) => {
        addRecord('cohort_members', {
          cohort_id: c.id, cohort_name: c.name, distinct_id: `d-${c.id}-${page}-${i}`, user_id: userId, properties: {}, snapshot_id: snapshotId,
        });
      });
      addState('cohort_members', { round, cohort_id: c.id, snapshot_id: snapshotId, next_page: page + 1 });
    }
    if (c.incomplete) continue;
    addRecord('cohort_snapshots', {
      cohort_id: c.id, cohort_name: c.name, snapshot_id: snapshotId, member_count: c.memberCount ?? c.members.length, taken_at: '2024-05-01T00:00:00Z',
      ...(c.reason ? { reason: c.reason } : {}),
    });
    addState('cohort_snapshots', { round, finished: [c.id] });
  }
  lines.push(...(options.extra ?? []));
  return lines;
}

export function writeTranscript(lines: unknown[], dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braze-transcript-'))): string {
  const file = path.join(dir, `transcript-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

export const CONFIGURED_CATALOG = {
  streams: ['cohorts', 'cohort_members', 'cohort_snapshots'].map((name) => ({
    stream: { name, json_schema: { type: 'object' }, supported_sync_modes: ['full_refresh'] },
    sync_mode: 'full_refresh',
    destination_sync_mode: 'overwrite',
  })),
};

export const userIds = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
