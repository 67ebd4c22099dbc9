/**
 * Killed at any point and re-run from the last echoed state, Braze ends with exactly the membership of the last
 * complete snapshot (DESIGN §10.4). The CLI is SIGKILLed at several points of a sync (after the n-th echoed
 * STATE, and while a Braze request is in flight); the re-run gets what a resumed source sends: the transcript
 * after the last echoed STATE, or, for a cohort whose session Mixpanel refused, that cohort over with a new
 * snapshot id. Also: a lost store.
 */
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { LocalBraze } from '../../local-services/braze/server';
import { REPO_ROOT, writeTempJson } from '../../test-support/run-cli';
import { decodeIdFile } from '../src/membership/id-file';
import { CONFIGURED_CATALOG, transcript, userIds, type CohortSpec } from './support/cohort-transcripts';
import { configFor, membership, runWrite, startBraze, tempDir } from './support/braze-cli';

const USERS = userIds('kill-user-', 40);

/**
 * Runs the CLI and SIGKILLs it. The input is fed as a source would: up to its `stopAt`-th STATE, then (once that
 * STATE is echoed) the rest at once, and the kill follows at once, so it lands while the next pages are handled.
 * With `killInFlight` the whole input goes at once and the kill comes when a Braze request is unanswered.
 */
function runUntilKilled(config: Record<string, unknown>, lines: unknown[], stopAt: number, braze?: LocalBraze, killInFlight = false): Promise<{ echoed: any[]; killed: boolean }> {
  const dir = tempDir('kill');
  const args = [path.join(REPO_ROOT, 'bin', 'destination-braze'), 'write', '--config', writeTempJson('config.json', config, dir), '--catalog', writeTempJson('catalog.json', CONFIGURED_CATALOG, dir)];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  const text = (part: unknown[]) => part.map((l) => JSON.stringify(l) + '\n').join('');
  let cut = lines.length;
  if (!killInFlight) {
    let seen = 0;
    cut = lines.findIndex((l: any) => l.type === 'STATE' && ++seen === stopAt) + 1;
    expect(cut).toBeGreaterThan(0);
  }
  child.stdin.write(text(lines.slice(0, cut)));
  if (cut === lines.length) child.stdin.end();
  const echoed: any[] = [];
  let killed = false;
  let rest = '';
  const kill = () => {
    if (!killed && child.exitCode === null) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      const message = JSON.parse(line);
      if (message.type !== 'STATE' || killed) continue;
      echoed.push(message.state);
      if (!killInFlight && echoed.length === stopAt) {
        child.stdin.end(text(lines.slice(cut)));
        kill();
      }
    }
  });
  const poll = killInFlight && braze ? setInterval(() => {
    if (braze.requests().some((r) => r.answeredAt === undefined)) kill();
  }, 2) : undefined;
  return new Promise((resolve) => child.on('close', () => {
    if (poll) clearInterval(poll);
    resolve({ echoed, killed });
  }));
}

/** What a resumed source sends: everything after the last echoed STATE (all of it when none was echoed). */
function resumeAfter(lines: any[], echoed: any[]): any[] {
  const last = echoed.at(-1);
  if (!last) return lines;
  const key = (s: any) => JSON.stringify([s.stream.stream_descriptor.name, s.stream.stream_state]);
  const index = lines.findIndex((l) => l.type === 'STATE' && key(l.state) === key(last));
  expect(index).toBeGreaterThanOrEqual(0);
  return lines.slice(index + 1);
}

describe('kill and resume', () => {
  let braze: LocalBraze;
  beforeAll(async () => {
    braze = await startBraze(USERS);
  });
  afterAll(async () => {
    await braze?.close();
  });

  const before: CohortSpec[] = [
    { id: 1, name: 'Openers', members: USERS.slice(0, 12) },
    { id: 2, name: 'Buyers', members: USERS.slice(10, 20) },
  ];
  const after: CohortSpec[] = [
    { id: 1, name: 'Openers', members: [...USERS.slice(20, 26), ...USERS.slice(4, 12)] }, // 6 join (first pages), 4 leave
    { id: 2, name: 'Top buyers', members: USERS.slice(12, 22) }, // renamed, 2 leave, 2 join
    { id: 3, name: 'New', members: USERS.slice(30, 40) },
  ];
  const expected = () => {
    const out: Record<string, string[]> = {};
    for (const c of after) for (const u of c.members) if (u) (out[u] ??= []).push(c.name);
    for (const k of Object.keys(out)) out[k].sort();
    return out;
  };

  async function prepared(): Promise<Record<string, unknown>> {
    braze.users.clear();
    braze.seedUsers(USERS);
    braze.resetLog();
    const config = configFor(braze, tempDir('store'), { concurrency: 2 });
    expect((await runWrite(config, transcript(before))).code).toBe(0);
    return config;
  }

  test.each([1, 2, 4, 6, 9, 12])('killed after the %i-th echoed STATE, resumed from it', async (n) => {
    const config = await prepared();
    const lines = transcript(after, { round: 'r2', pageSize: 3 });
    // Slow answers, so the kill lands while later pages are being written.
    braze.injectFaults([{ type: 'delay', ms: 60, times: 1000 }]);
    const { echoed, killed } = await runUntilKilled(config, lines, n);
    braze.resetLog();
    expect(killed).toBe(true);
    const resumed = await runWrite(config, resumeAfter(lines, echoed));
    expect(resumed.code).toBe(0);
    expect(membership(braze)).toEqual(expected());
  });

  test('killed while Braze requests are in flight, several times in a row, then resumed', async () => {
    const config = await prepared();
    const lines = transcript(after, { round: 'r2', pageSize: 3 });
    let remaining: any[] = lines;
    for (let attempt = 0; attempt < 3; attempt++) {
      braze.injectFaults([{ type: 'delay', ms: 40, times: 1000 }]);
      const { echoed } = await runUntilKilled(config, remaining, 0, braze, true);
      braze.resetLog();
      remaining = resumeAfter(remaining, echoed);
    }
    expect((await runWrite(config, remaining)).code).toBe(0);
    expect(membership(braze)).toEqual(expected());
  });

  test('killed mid-cohort, and the resumed source starts that cohort over with a new snapshot id', async () => {
    const config = await prepared();
    const lines = transcript(after, { round: 'r2', pageSize: 3 });
    // Slow enough that the kill lands before the next page is through: cohort 1's first two pages (joiners only) are
    // written and answered, the third is in flight.
    braze.injectFaults([{ type: 'delay', ms: 300, times: 1000 }]);
    const { echoed } = await runUntilKilled(config, lines, 3);
    expect(echoed.at(-1).stream.stream_state).toMatchObject({ cohort_id: 1, next_page: 2 });
    const stored = decodeIdFile<{ snapshot_id: string }>(fs.readFileSync(path.join((config.membership_store as { path: string }).path, 'cohorts', '1', 'snapshot.ids')), 'snapshot');
    expect(stored.header.snapshot_id).toBe('r1-1'); // the interrupted snapshot did not complete
    braze.resetLog();
    // Mixpanel refused the old session: cohort 1 comes again from its first page, with other members now.
    const restarted: CohortSpec[] = [{ ...after[0], snapshotId: 'r2-1-again', members: USERS.slice(6, 12) }, after[1], after[2]];
    expect(echoed.length).toBeGreaterThan(0);
    const run = await runWrite(config, transcript(restarted, { round: 'r2', pageSize: 3 }).slice(1));
    expect(run.code).toBe(0);
    const want: Record<string, string[]> = {};
    for (const c of restarted) for (const u of c.members) if (u) (want[u] ??= []).push(c.name);
    for (const k of Object.keys(want)) want[k].sort();
    expect(membership(braze)).toEqual(want);
  });

  test('a STATE is echoed within flush_interval_seconds while the source is quiet (waiting on its query budget)', async () => {
    const config = await prepared();
    const lines = transcript(after, { round: 'r2', pageSize: 3 });
    const dir = tempDir('quiet');
    const args = [path.join(REPO_ROOT, 'bin', 'destination-braze'), 'write', '--config', writeTempJson('config.json', config, dir), '--catalog', writeTempJson('catalog.json', CONFIGURED_CATALOG, dir)];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // Up to the 2nd STATE (the first member page), then silence: stdin stays open.
    let seen = 0;
    const cut = lines.findIndex((l: any) => l.type === 'STATE' && ++seen === 2) + 1;
    const sentAt = Date.now();
    child.stdin.write(lines.slice(0, cut).map((l) => JSON.stringify(l) + '\n').join(''));
    const echoedAt = await new Promise<number>((resolve) => {
      let states = 0;
      child.stdout.on('data', (d: Buffer) => {
        states += d.toString().split('\n').filter((l) => l.includes('"type":"STATE"')).length;
        if (states >= 2) resolve(Date.now());
      });
    });
    child.kill('SIGKILL');
    // flush_interval_seconds is 1 in these configs; start-up and the credentials probe come on top.
    expect(echoedAt - sentAt).toBeLessThan(1000 + 3000);
    expect(membership(braze)[USERS[20]]).toEqual(['Openers']); // the page's adds were written before the echo
  });

  test('a lost store: everyone is added again (idempotent), leavers cannot be removed, and the log says so', async () => {
    const config = await prepared();
    fs.rmSync((config.membership_store as { path: string }).path, { recursive: true, force: true });
    const run = await runWrite(config, transcript(after, { round: 'r2' }));
    expect(run.code).toBe(0);
    const logs = run.messages.filter((m) => m.type === 'LOG').map((m) => m.log.message).join('\n');
    expect(logs).toMatch(/holds no cohort yet: this is the first sync, or the store was lost/);
    const held = membership(braze);
    for (const [user, values] of Object.entries(expected())) expect(held[user]).toEqual(expect.arrayContaining(values));
    expect(held[USERS[0]]).toEqual(['Openers']); // left cohort 1, but nobody knew
    expect(run.summary!.total.removed).toBe(0);
  });
});
