/**
 * The CLI's input path (input/raw-lines.ts, input/member-line-scanner.ts) against the kit's line rules: for any
 * input, cut into chunks anywhere (inside a line, inside a UTF-8 character), the records read, their order, and
 * the warnings with their line numbers are those of parsing every line with parseMessageLine. The plain member
 * lines must take the byte path (as member blocks), or the comparison would prove nothing about it.
 */
import { lineProblemText, parseMessageLine, toDestinationMessage } from '../../connector-kit/input';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteMessage } from '../../connector-kit/protocol';
import { readCohortRecord } from '../src/input/cohort-records';
import { rawCohortInput, type CohortInput } from '../src/input/raw-lines';

const record = (data: unknown, stream = 'cohort_members') => JSON.stringify({ type: 'RECORD', record: { stream, data, emitted_at: 1_700_000_000_000 } });
const member = (fields: Record<string, unknown>) =>
  record({ cohort_id: 1, cohort_name: 'Openers', distinct_id: 'd', user_id: 'u', properties: {}, snapshot_id: 's1', ...fields });
const state = JSON.stringify({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'cohort_members' }, stream_state: { next_page: 1 } } } });

/** Every line of the input, as bytes (some lines hold bytes that are not UTF-8). */
const LINES: Buffer[] = [
  // Plain lines: the byte path.
  member({ user_id: 'u-1' }),
  member({ user_id: 'u-2', properties: { user_id: 'nested, not this', list: [1, { '}': ']' }], text: 'ü "quoted" \\ 🙂' } }),
  member({ user_id: 'with space', distinct_id: 'Zoë 🙂' }),
  member({ cohort_id: 2, cohort_name: 'Quote " and \\ and ü 🙂', user_id: 'u-3' }),
  member({ cohort_id: 2, cohort_name: 'Quote " and \\ and ü 🙂', user_id: 'u-4' }),
  member({ cohort_id: 2, cohort_name: 'Quote " and \\ and ü 🙂', user_id: 'u-4', snapshot_id: 's2' }),
  `{"type":"RECORD","record":{"stream":"cohort_members","data":{"snapshot_id":"s1","user_id":"u-5","cohort_name":"Openers","cohort_id":1,"user_id":"u-6"},"emitted_at":5}}\r`,
  state,
  // Members the full parse reads or skips.
  member({ user_id: null }),
  member({ user_id: '' }),
  member({ user_id: '   ' }),
  member({ user_id: 'ü-ユーザー-🙂' }),
  member({ user_id: 'line\nbreak' }),
  member({ user_id: 'esc\u00e9' }),
  member({ user_id: 12345 }),
  member({ cohort_id: '7', user_id: 'u-7' }),
  member({ cohort_id: -5, user_id: 'u-8' }),
  member({ cohort_id: 1.5, user_id: 'u-9' }),
  member({ snapshot_id: 3, user_id: 'u-10' }),
  member({ snapshot_id: '', user_id: 'u-11' }),
  member({ cohort_name: undefined, user_id: 'u-12' }),
  member({ cohort_id: undefined, user_id: 'u-13' }),
  `{"record":{"stream":"cohort_members","data":{"cohort_id":1,"cohort_name":"Openers","snapshot_id":"s1","user_id":"u-14"},"emitted_at":1},"type":"RECORD"}`,
  `{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":1, "cohort_name":"Openers","snapshot_id":"s1","user_id":"u-15"},"emitted_at":1}}`,
  `{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":1,"cohort_name":"Openers","snapshot_id":"s1","user_id":"u-16"},"emitted_at":1,"meta":{}}}`,
  // Broken lines: warnings with their line numbers, nothing read.
  `{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":01,"cohort_name":"Openers","snapshot_id":"s1","user_id":"u"},"emitted_at":1}}`,
  `{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":1,"cohort_name":"Bad \\x escape","snapshot_id":"s1","user_id":"u"},"emitted_at":1}}`,
  `{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":1,"cohort_name":"raw\ttab","snapshot_id":"s1","user_id":"u"},"emitted_at":1}}`,
  `{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":1,"user_id":"u"}`,
  '',
  'not json at all',
  // Other streams and messages.
  record({ id: 1, name: 'Openers', created: '2024-01-02 03:04:05' }, 'cohorts'),
  record({ cohort_id: 1, cohort_name: 'Openers', snapshot_id: 's1', member_count: 3 }, 'cohort_snapshots'),
  record({ anything: 1 }, 'users'),
  JSON.stringify({ type: 'LOG', log: { level: 'INFO', message: 'hello' } }),
  // More plain lines after all that, then a last line without its newline.
  ...Array.from({ length: 40 }, (_, i) => member({ user_id: `bulk-${i}` })),
].map((line) => Buffer.from(line, 'utf8'));

/** A cohort name whose bytes are not UTF-8: both paths read it as the same replacement characters. */
const NOT_UTF8 = Buffer.concat([Buffer.from('{"type":"RECORD","record":{"stream":"cohort_members","data":{"cohort_id":3,"cohort_name":"bad '), Buffer.from([0xff, 0xc3]), Buffer.from('","snapshot_id":"s1","user_id":"u-17"},"emitted_at":1}}')]);
const INPUT = Buffer.concat([...[...LINES, NOT_UTF8].flatMap((line) => [line, Buffer.from('\n')]), LINES[0]]);

/** What the kit's line rules give, line by line: each record as the diff reads it, and the warnings. */
function expected(input: Buffer) {
  const records: unknown[] = [];
  const warnings: string[] = [];
  input.toString('utf8').split('\n').forEach((line, i) => {
    const outcome = parseMessageLine(line);
    if (!outcome) return;
    if ('problem' in outcome) return void warnings.push(lineProblemText(i + 1, outcome.problem));
    const message = toDestinationMessage(outcome.message, 'airbyte')!;
    records.push(readAs(message));
  });
  return { records, warnings };
}

function readAs(message: AirbyteMessage): unknown {
  return message.type === 'RECORD' ? readCohortRecord(message.record.stream, message.record.data) : { type: message.type };
}

async function actual(input: Buffer, chunkSize: number) {
  const warnings: string[] = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  async function* chunks() {
    for (let at = 0; at < input.length; at += chunkSize) yield input.subarray(at, at + chunkSize);
  }
  const records: unknown[] = [];
  let blockMembers = 0;
  for await (const items of rawCohortInput({ protocol: 'airbyte', chunks: chunks() }, log)) {
    for (const item of items as CohortInput[]) {
      if (item.type !== 'MEMBERS') {
        records.push(readAs(item));
        continue;
      }
      blockMembers += item.starts.length;
      item.starts.forEach((start, k) => {
        const userId = item.bytes.toString('utf8', start, item.ends[k]);
        records.push({ kind: 'member', cohortId: item.cohortId, cohortName: item.cohortName, snapshotId: item.snapshotId, userId });
      });
    }
  }
  return { records, warnings, blockMembers };
}

describe('CLI input: the byte path reads what the full parse reads', () => {
  const want = expected(INPUT);

  test.each([1, 7, 64, 1000, INPUT.length])('in chunks of %d bytes', async (chunkSize) => {
    const got = await actual(INPUT, chunkSize);
    expect(got.records).toEqual(want.records);
    expect(got.warnings).toEqual(want.warnings);
    // The plain member lines (u-1 … u-6 with the later duplicate key winning, the 40 bulk ones, the unterminated
    // last line, the non-UTF-8 name) went through the byte path.
    expect(got.blockMembers).toBe(7 + 40 + 1 + 1);
  });

  test('Singer input never takes the byte path', async () => {
    const warnings: string[] = [];
    const log: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined };
    async function* chunks() {
      yield Buffer.concat([LINES[0], Buffer.from('\n')]);
    }
    const items: CohortInput[] = [];
    for await (const batch of rawCohortInput({ protocol: 'singer', chunks: chunks() }, log)) items.push(...batch);
    expect(items.some((item) => item.type === 'MEMBERS')).toBe(false);
  });
});
