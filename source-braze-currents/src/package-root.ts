import fs from 'fs';
import path from 'path';

/**
 * The repository/package root (the folder with package.json and schemas/), found by walking up, so the
 * same code works from source (ts-jest) and from dist/ (compiled one level deeper).
 */
export function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'schemas'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package root (a folder with package.json and schemas/) above ${from}`);
    dir = parent;
  }
}
