/**
 * The level-by-level "list after a key" that stands in for S3's StartAfter on Azure: same keys as filtering a
 * full listing, and the hours before the requested one are never listed in full. (An in-memory key set stands
 * in for the store here; azure-storage.test.ts runs the same code against azurite.)
 */
import { levelsBetween, listAfterKey } from '../src/storage/list-after-key';
import type { ListedChildren, StoredObject } from '../src/storage/storage';

const T = 'currents/int/event_type=users.messages.email.Open/';
const KEYS = [
  `${T}date=2024-04-30-23/1/0/a+0+1.avro`,
  `${T}date=2024-05-01-09/1/0/a+0+1.avro`,
  `${T}date=2024-05-01-10/1/0/_SUCCESS`,
  `${T}date=2024-05-01-10/1/0/a+0+2.avro`,
  `${T}date=2024-05-01-10/2/0/a+0+3.avro`,
  `${T}date=2024-05-01-11/1/0/a+0+4.avro`,
  `${T}loose.avro`,
  `${T}z/deep/x.avro`,
].sort();

function inMemoryStore() {
  const fullListings: string[] = [];
  const obj = (key: string): StoredObject => ({ key, size: 1, lastModified: new Date(0) });
  const listLevel = async (folder: string): Promise<ListedChildren> => {
    const below = KEYS.filter((k) => k.startsWith(folder)).map((k) => k.slice(folder.length));
    return {
      prefixes: [...new Set(below.filter((r) => r.includes('/')).map((r) => `${folder}${r.slice(0, r.indexOf('/') + 1)}`))].sort(),
      objects: below.filter((r) => !r.includes('/')).map((r) => obj(folder + r)),
    };
  };
  async function* listAll(folder: string) {
    fullListings.push(folder);
    for (const k of KEYS) if (k.startsWith(folder)) yield obj(k);
  }
  return { listLevel, listAll, fullListings };
}

async function collect(prefix: string, startAfter: string) {
  const store = inMemoryStore();
  const keys: string[] = [];
  for await (const o of listAfterKey(prefix, startAfter, store.listLevel, store.listAll)) keys.push(o.key);
  return { keys, fullListings: store.fullListings };
}

test.each([
  `${T}date=2024-05-01-10`,
  `${T}date=2024-05-01-10/1/0/_SUCCESS`,
  `${T}date=2024-05-01-10/1/0/a+0+2.avro`,
  `${T}date=2024-05-01-10/1/`,
  `${T}date=2030`,
  `${T}`,
  'a',
  'zzz',
])('after %s: exactly the keys that sort after it, in order', async (startAfter) => {
  expect((await collect(T, startAfter)).keys).toEqual(KEYS.filter((k) => k > startAfter));
});

test('hours before the requested one are never listed in full', async () => {
  const { keys, fullListings } = await collect(T, `${T}date=2024-05-01-10`);
  expect(keys[0]).toBe(`${T}date=2024-05-01-10/1/0/_SUCCESS`);
  expect(fullListings).toEqual([`${T}date=2024-05-01-10/`, `${T}date=2024-05-01-11/`, `${T}z/`]);
});

test('levels are listed deepest first, up to the prefix', () => {
  expect(levelsBetween('a/', 'a/b/c/d')).toEqual(['a/b/c/', 'a/b/', 'a/']);
  expect(levelsBetween('a/b', 'a/bc/d')).toEqual(['a/bc/', 'a/b']);
  expect(levelsBetween('a/', 'a/date=1')).toEqual(['a/']);
});
