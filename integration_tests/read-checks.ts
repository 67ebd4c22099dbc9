/** Checks over the messages of one `read`: stream status order, records per stream, state accounting. */
type Message = Record<string, any>;

export const recordsOf = (messages: Message[], stream?: string) =>
  messages.filter((m) => m.type === 'RECORD' && (stream === undefined || m.record.stream === stream)).map((m) => m.record);

export const statesOf = (messages: Message[], stream?: string) =>
  messages.filter((m) => m.type === 'STATE' && (stream === undefined || m.state.stream?.stream_descriptor?.name === stream)).map((m) => m.state);

/**
 * STARTED first, COMPLETE last, only RUNNING between, RUNNING before the first record; with records, at least
 * one RUNNING. Returns problems, empty when the order is right.
 */
export function streamStatusProblems(messages: Message[], stream: string): string[] {
  const statuses: string[] = [];
  let firstRecordAt = -1;
  let runningAt = -1;
  messages.forEach((m, i) => {
    if (m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === stream) {
      statuses.push(m.trace.stream_status.status);
      if (m.trace.stream_status.status === 'RUNNING' && runningAt < 0) runningAt = i;
    }
    if (m.type === 'RECORD' && m.record.stream === stream && firstRecordAt < 0) firstRecordAt = i;
  });
  const problems: string[] = [];
  const seq = statuses.join(' → ') || '(none)';
  if (statuses[0] !== 'STARTED') problems.push(`${stream}: statuses must start with STARTED, got ${seq}`);
  if (statuses[statuses.length - 1] !== 'COMPLETE') problems.push(`${stream}: statuses must end with COMPLETE, got ${seq}`);
  if (statuses.slice(1, -1).some((s) => s !== 'RUNNING')) problems.push(`${stream}: only RUNNING may come between STARTED and COMPLETE, got ${seq}`);
  if (firstRecordAt >= 0 && !(runningAt >= 0 && runningAt < firstRecordAt)) problems.push(`${stream}: RUNNING must come before the first record`);
  return problems;
}

/** sourceStats.recordCount of each state = records of that stream since its previous state. */
export function stateCountProblems(messages: Message[], stream: string): string[] {
  let since = 0;
  const problems: string[] = [];
  for (const m of messages) {
    if (m.type === 'RECORD' && m.record.stream === stream) since++;
    if (m.type === 'STATE' && m.state.stream?.stream_descriptor?.name === stream) {
      const count = m.state.sourceStats?.recordCount;
      if (count !== since) problems.push(`${stream}: a state says sourceStats.recordCount ${count} after ${since} record(s)`);
      since = 0;
    }
  }
  if (since > 0) problems.push(`${stream}: ${since} record(s) after the last state (no checkpoint covers them)`);
  return problems;
}

/** Multiset of records as comparable strings (stream + data; emitted_at differs between runs). */
export const recordKeys = (records: Message[]) => records.map((r) => JSON.stringify([r.stream, r.data])).sort();
