/**
 * "Every key under `prefix` that sorts after `startAfter`" for stores without S3's StartAfter (Azure Blob).
 *
 * Instead of listing everything and filtering, we walk up from the folder that holds `startAfter` to `prefix`,
 * list each of those levels with a delimiter (names of sub-folders and the objects directly there, not their
 * contents) and descend only into the sub-folders that sort after `startAfter`. For the source's usual call
 * (`<type folder>`, `<type folder>date=<hour>`) that is one delimiter listing of the type's `date=` folder names
 * plus full listings of just the hours from the requested one on; older hours' files are never listed.
 */
import type { ListedChildren, StoredObject } from './storage';

/** `a/b/c` → `a/b/`; `a` → ``. */
function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** The levels to list, deepest first: the folder of `startAfter`, its parents, …, and `prefix` itself last. */
export function levelsBetween(prefix: string, startAfter: string): string[] {
  const levels: string[] = [];
  for (let level = folderOf(startAfter); level.length > prefix.length; level = folderOf(level.slice(0, -1))) levels.push(level);
  levels.push(prefix);
  return levels;
}

export async function* listAfterKey(
  prefix: string,
  startAfter: string,
  listLevel: (folder: string) => Promise<ListedChildren>,
  listAll: (folder: string) => AsyncIterable<StoredObject>,
): AsyncIterable<StoredObject> {
  if (!startAfter.startsWith(prefix)) {
    // startAfter is outside the prefix: either every key under it sorts after startAfter or none does.
    if (prefix > startAfter) yield* listAll(prefix);
    return;
  }
  // Deepest level first: everything still to come in startAfter's own folder sorts before the later
  // siblings of that folder one level up, and so on.
  for (const level of levelsBetween(prefix, startAfter)) {
    const { prefixes, objects } = await listLevel(level);
    type Entry = { name: string; folder: boolean; object?: StoredObject };
    const entries: Entry[] = [
      // A folder holding startAfter sorts before it (it is its prefix) and was covered by the deeper levels.
      ...prefixes.filter((p) => p > startAfter).map((p) => ({ name: p, folder: true })),
      ...objects.filter((o) => o.key > startAfter).map((o) => ({ name: o.key, folder: false, object: o })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.object) yield entry.object;
      else yield* listAll(entry.name);
    }
  }
}
