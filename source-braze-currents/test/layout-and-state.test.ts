import fs from 'fs';
import path from 'path';
import { addHours, hourOf } from '../src/hours';
import { eventTypeFromRecordName, parseKey, startAfterForHour, streamNameOf } from '../src/layout';
import { normalisePrefix, parseStartHour } from '../src/config';
import { StreamCursor } from '../src/state';
import { LocalStorage } from '../src/storage/local';
import { makeTempDir, placeFile } from './support/samples';

describe('key layout parsing', () => {
  const key = 'currents/dataexport.prod-01.S3.integration.abc/event_type=users.messages.email.Open/date=2024-05-01-13/42/0/dataexport.prod-01.S3.integration.abc+0+1234.avro';

  test('Braze layout: type from event_type=, hour from date=', () => {
    expect(parseKey(key)).toEqual({ eventType: 'users.messages.email.Open', hour: '2024-05-01-13', isAvro: true });
  });

  test('lenient: segments anywhere, missing segments, non-Avro names', () => {
    expect(parseKey('x/event_type=users.behaviors.Purchase/y/z.avro')).toEqual({ eventType: 'users.behaviors.Purchase', isAvro: true });
    expect(parseKey('x/date=2024-05-01-13-05/f.AVRO')).toEqual({ hour: '2024-05-01-13', isAvro: true });
    expect(parseKey('x/date=yesterday/f.json')).toEqual({ isAvro: false });
    expect(parseKey('currents/readme.txt')).toEqual({ isAvro: false });
  });

  test('stream names', () => {
    expect(streamNameOf('users.messages.email.Open')).toBe('users_messages_email_open');
    expect(streamNameOf('agentconsole.AgentExecuted')).toBe('agentconsole_agentexecuted');
  });

  test('event type from the Avro record name', () => {
    expect(eventTypeFromRecordName('dataexport.S3.inner.users.messages.email', 'Open')).toBe('users.messages.email.Open');
    expect(eventTypeFromRecordName(undefined, 'dataexport.GCS.inner.users.behaviors.CustomEvent')).toBe('users.behaviors.CustomEvent');
    expect(eventTypeFromRecordName(undefined, 'com.example.Thing')).toBeUndefined();
  });

  test('StartAfter bound sorts before every key of that hour and after every earlier hour', () => {
    const folder = 'currents/d/event_type=T/';
    const bound = startAfterForHour(folder, '2024-05-01-13');
    expect(`${folder}date=2024-05-01-13/1/0/a.avro` > bound).toBe(true);
    expect(`${folder}date=2024-05-01-12/9/9/z.avro` < bound).toBe(true);
    expect(`${folder}date=2024-05-02-00/1/0/a.avro` > bound).toBe(true);
  });

  test('hours and config helpers', () => {
    expect(hourOf(new Date('2024-05-01T13:59:59Z'))).toBe('2024-05-01-13');
    expect(addHours('2024-03-01-01', -2)).toBe('2024-02-29-23');
    expect(parseStartHour('2026-01-01T05:30:00Z')).toBe('2026-01-01-05');
    expect(parseStartHour('2026-01-01')).toBe('2026-01-01-00');
    expect(parseStartHour(undefined)).toBeUndefined();
    expect(normalisePrefix('/currents/')).toBe('currents/');
    expect(normalisePrefix('')).toBe('');
  });
});

describe('stream state cursor', () => {
  test('window, pruning and round trip', () => {
    const c = StreamCursor.fresh(2);
    expect(c.windowStart()).toBeUndefined();
    c.markRead('k10', '2024-05-01-10');
    c.markRead('k11', '2024-05-01-11');
    c.markRead('k13', '2024-05-01-13');
    // window = 13 − 2 = 11: k10 pruned, k11 and k13 kept
    expect(c.toJSON()).toEqual({ watermark: '2024-05-01-13', lookback_hours: 2, files: { k11: '2024-05-01-11', k13: '2024-05-01-13' } });
    expect(c.windowStart()).toBe('2024-05-01-11');
    const again = StreamCursor.fromState('s', JSON.parse(JSON.stringify(c.toJSON())), 2);
    expect(again.hasRead('k11')).toBe(true);
    expect(again.hasRead('k10')).toBe(false);
    // A late file in an older hour does not move the watermark back.
    again.markRead('late', '2024-05-01-12');
    expect(again.toJSON().watermark).toBe('2024-05-01-13');
  });

  test('a state we do not understand is a config error naming the stream', () => {
    expect(() => StreamCursor.fromState('users_x', { watermark: 'tomorrow' }, 48)).toThrow(/stream "users_x".*reset/);
    expect(() => StreamCursor.fromState('users_x', { files: { a: 5 } }, 48)).toThrow(/hour of file a/);
    expect(StreamCursor.fromState('s', {}, 48).toJSON()).toEqual({ lookback_hours: 48, files: {} });
  });
});

describe('local storage listing', () => {
  const root = makeTempDir('local');
  const keys = [
    'currents/a/event_type=T/date=2024-05-01-12/1/0/f+0+1.avro',
    'currents/a/event_type=T/date=2024-05-01-13/1/0/f+0+2.avro',
    'currents/a/event_type=T/date=2024-05-01-13/1/0/f+0+3.avro',
    'currents/a/event_type=T/date=2024-05-02-00/1/0/f+0+4.avro',
    'currents/a/event_type=U/date=2024-05-01-13/1/0/f+0+1.avro',
    'currents/a-b.txt', // sorts before "currents/a/" in S3 byte order ('-' < '/')
    'other/x.avro',
  ];
  for (const k of keys) placeFile(root, k, Buffer.from(k));
  const storage = new LocalStorage(root);

  async function list(prefix: string, startAfter?: string): Promise<string[]> {
    const out: string[] = [];
    for await (const o of storage.listObjects(prefix, startAfter)) out.push(o.key);
    return out;
  }

  test('recursive listing is in S3 key order and honours the prefix', async () => {
    const all = await list('currents/');
    expect(all).toEqual([...keys.slice(0, 6)].sort());
    expect(all[0]).toBe('currents/a-b.txt');
    expect(await list('currents/a/event_type=U/')).toEqual([keys[4]]);
    expect(await list('curr')).toEqual(all); // prefixes are strings, not folders
  });

  test('startAfter returns only the keys after it (whole earlier hours are skipped)', async () => {
    const folder = 'currents/a/event_type=T/';
    expect(await list(folder, startAfterForHour(folder, '2024-05-01-13'))).toEqual(keys.slice(1, 4));
    expect(await list(folder, keys[2])).toEqual([keys[3]]);
    expect(await list(folder, startAfterForHour(folder, '2999-01-01-00'))).toEqual([]);
  });

  test('listChildren gives one level', async () => {
    const top = await storage.listChildren('currents/');
    expect(top.prefixes).toEqual(['currents/a/']);
    expect(top.objects.map((o) => o.key)).toEqual(['currents/a-b.txt']);
    expect((await storage.listChildren('currents/a/')).prefixes).toEqual(['currents/a/event_type=T/', 'currents/a/event_type=U/']);
    expect(await storage.listChildren('missing/')).toEqual({ prefixes: [], objects: [] });
  });

  test('probe names a missing path', async () => {
    await expect(new LocalStorage(path.join(root, 'nope')).probe('currents/')).rejects.toThrow(/storage.path ".*nope" does not exist/);
    const file = path.join(root, 'plain-file');
    fs.writeFileSync(file, 'x');
    await expect(new LocalStorage(file).probe('')).rejects.toThrow(/is not a folder/);
  });
});
