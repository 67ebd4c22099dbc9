import fs from 'fs';
import os from 'os';
import path from 'path';
import v8 from 'v8';
import vm from 'vm';
import { Channel } from '../src/channel';
import { approximateRecordBytes } from '../src/run-sync';
import { StateFile } from '../src/state-file';
import { summaryTable } from '../src/summary';
import { Progress } from '../src/progress';
import { buildSyncSpec } from '../../tools/build-sync-spec';
import { CURRENTS_TO_MIXPANEL, SYNC_PAIRS, pairFor } from '../src/pairs';
import { resolveSyncSettings } from '../src/sync-config';
import { REPO_ROOT } from '../../test-support/run-cli';

describe('Channel', () => {
  it('delivers items in order and makes the producer wait while full', async () => {
    const channel = new Channel<number>(4);
    const waits: boolean[] = [];
    for (let i = 0; i < 4; i++) waits.push(channel.push(i) instanceof Promise);
    expect(waits).toEqual([false, false, false, true]);
    const received: number[] = [];
    const consumer = (async () => {
      for await (const n of channel) received.push(n);
    })();
    await new Promise((r) => setImmediate(r));
    await channel.push(4);
    channel.close();
    await consumer;
    expect(received).toEqual([0, 1, 2, 3, 4]);
  });

  it('abort makes a waiting and any later push fail with the reason', async () => {
    const channel = new Channel<number>(1);
    const waiting = channel.push(1) as Promise<void>;
    const failure = new Error('destination failed');
    channel.abort(failure);
    await expect(waiting).rejects.toBe(failure);
    expect(() => channel.push(2)).toThrow('destination failed');
  });
});

describe('Channel memory bounds', () => {
  it('is full once the queued items weigh maxWeight, whatever their number, and frees room as they are consumed', async () => {
    const channel = new Channel<string>(1000, 100);
    expect(channel.push('a', 40)).toBeUndefined();
    expect(channel.push('b', 40)).toBeUndefined();
    const waiting = channel.push('c', 40);
    expect(waiting).toBeInstanceOf(Promise);
    let released = false;
    void (waiting as Promise<void>).then(() => (released = true));
    const iterator = channel[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe('a'); // 80 left: still above half of 100
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(false);
    expect((await iterator.next()).value).toBe('b'); // 40 left: below half, the producer may go on
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(true);
  });

  it('weighs a record by its strings (a 40 KB properties string dominates) and a few bytes per other value', () => {
    expect(approximateRecordBytes({ id: 'abcd', time: 1, properties: 'p'.repeat(40_000), gone: null, list: [1, 2] })).toBe(2 + 4 + 4 + 8 + 10 + 40_000 + 4 + 8 + 4 + 256);
  });

  it('keeps no reference to an item once the consumer has taken it', async () => {
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const channel = new Channel<{ payload: string }>(10_000);
    let taken = new WeakRef({ payload: 'x'.repeat(1000) });
    channel.push(taken.deref()!);
    for (let i = 0; i < 10; i++) channel.push({ payload: String(i) });
    const iterator = channel[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.payload).toHaveLength(1000);
    expect((await iterator.next()).value?.payload).toBe('0'); // the iterator's own frame now holds this one
    await new Promise((r) => setImmediate(r));
    gc();
    expect(taken.deref()).toBeUndefined(); // only the queue could still hold it (9 items are still queued)
    taken = new WeakRef({ payload: '' }); // keep the variable used
  });
});

describe('StateFile', () => {
  it('keeps the latest acknowledged state per stream in the array form and reloads it', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'state-')), 'nested', 'state.json');
    const states = new StateFile(file);
    expect(states.load().size).toBe(0);
    const message = (name: string, w: number) => ({ type: 'STREAM' as const, stream: { stream_descriptor: { name }, stream_state: { w } } });
    states.save(message('a', 1));
    states.save(message('b', 1));
    states.save(message('a', 2));
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual([message('a', 2), message('b', 1)]);
    expect([...new StateFile(file).load()]).toEqual([['a', { w: 2 }], ['b', { w: 1 }]]);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });

  it('explains a damaged state file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'state-')), 'state.json');
    fs.writeFileSync(file, '[{"type":');
    expect(() => new StateFile(file).load()).toThrow(/is not valid JSON .*delete it/);
  });
});

describe('sync spec', () => {
  it('the checked-in spec.json is composed from the two connector specs (run tools/build-sync-spec after changing them)', () => {
    const checkedIn = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'spec.json'), 'utf8'));
    expect(checkedIn).toEqual(buildSyncSpec(REPO_ROOT));
  });
});

describe('connector pairs', () => {
  const currents = { source: { storage: { type: 'local', path: '/data' } }, destination: { credentials: { auth_type: 'api_secret', api_secret: 'x-secret' } } };

  it('a config that names no connector is the Currents → Mixpanel pair, as before pairs existed', () => {
    expect(pairFor(currents)).toBe(CURRENTS_TO_MIXPANEL);
    const settings = resolveSyncSettings(currents, '/tmp');
    expect(settings.pair).toBe(CURRENTS_TO_MIXPANEL);
    expect(settings.source).toMatchObject({ storage: { type: 'local', path: '/data' }, prefix: 'currents' });
    expect(settings.source).not.toHaveProperty('connector');
    expect(settings.destination).not.toHaveProperty('connector');
  });

  it('every pair is found by its source name, its destination name or both', () => {
    for (const pair of SYNC_PAIRS) {
      expect(pairFor({ source: { connector: pair.source } })).toBe(pair);
      expect(pairFor({ destination: { connector: pair.destination } })).toBe(pair);
      expect(pairFor({ source: { connector: pair.source }, destination: { connector: pair.destination } })).toBe(pair);
    }
  });

  it('an unknown or mismatched pair is a config error that lists the pairs', () => {
    expect(() => pairFor({ source: { connector: 'source-nothing' } })).toThrow(/not a pair this runner can run\. Pairs: "source-braze-currents" → "destination-mixpanel"/);
    expect(() => pairFor({ source: { connector: 'source-braze-currents' }, destination: { connector: 'destination-nothing' } })).toThrow(/destination\.connector "destination-nothing"/);
  });

  it('the chosen connector\'s own spec validates its section', () => {
    expect(() => resolveSyncSettings({ ...currents, source: { connector: 'source-braze-currents' } }, '/tmp')).toThrow(/storage/);
  });
});

describe('summary table', () => {
  it('lists every event name and the totals that add up', () => {
    const text = summaryTable({
      received: 6, imported: 3, rejected: 1, skipped: 2,
      rejectedByReason: { time_out_of_range: { count: 1 } },
      skippedByReason: { no_external_user_id: { count: 2 } },
      byEvent: { 'Email Open': { imported: 2, rejected: 1, skipped: 0 }, 'Push Notification Send': { imported: 1, rejected: 0, skipped: 0 }, users_messages_email_retry: { imported: 0, rejected: 0, skipped: 2 } },
    });
    expect(text).toMatch(/^Push Notification Send\s+1\s+0\s+0$/m);
    expect(text).toContain('Skipped, by stream:\n  users_messages_email_retry: 2');
    expect(text).not.toMatch(/^users_messages_email_retry\s/m);
    expect(text).toMatch(/^Email Open\s+2\s+1\s+0$/m);
    expect(text).toMatch(/^TOTAL\s+3\s+1\s+2$/m);
    expect(text).toContain('  time_out_of_range: 1');
    expect(text).toContain('Received 6 = sent 3 + rejected 1 + skipped 2');
  });

  it('lists the 8 streams with most skips and sums the rest on one line (an export has ~100 streams)', () => {
    const byEvent = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`stream_${String(i).padStart(2, '0')}`, { imported: 0, rejected: 0, skipped: i + 1 }]));
    const text = summaryTable({ received: 78, imported: 0, rejected: 0, skipped: 78, rejectedByReason: {}, skippedByReason: { no_external_user_id: { count: 78 } }, byEvent });
    const listed = text.slice(text.indexOf('Skipped, by stream:')).split('\n').slice(1, 11);
    expect(listed.slice(0, 8)).toEqual([11, 10, 9, 8, 7, 6, 5, 4].map((i) => `  stream_${String(i).padStart(2, '0')}: ${i + 1}`));
    expect(listed[8]).toBe('  … 4 more stream(s): 10'); // 1 + 2 + 3 + 4
  });
});

describe('Progress', () => {
  const sink = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream };
  };

  it('logs a progress line periodically when not on a terminal', async () => {
    const { written, stream } = sink(false);
    const progress = new Progress(stream, 10);
    Object.assign(progress.counts, { files: 3, events: 1200, acknowledged: 1000, rejected: 2, skipped: 5 });
    progress.start();
    await new Promise((r) => setTimeout(r, 35));
    progress.stop();
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(written[0]).toMatch(/^\S+Z progress: files 3 \| events read 1200 \| done 1000 \| rejected 2 \| skipped 5 \| \d+ events\/s \| \d+ s\n$/);
  });

  it('redraws one line in place on a terminal and clears it at the end', async () => {
    const { written, stream } = sink(true);
    const progress = new Progress(stream, 10);
    progress.start();
    await new Promise((r) => setTimeout(r, 35));
    progress.stop();
    expect(written.slice(0, -1).every((t) => t.startsWith('\r') && !t.includes('\n'))).toBe(true);
    expect(written[written.length - 1]).toMatch(/^\r +\r$/);
  });
});
