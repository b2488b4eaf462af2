// The project's root directory (the one holding package.json), whether this module
// runs as source (engine/package-root.ts) or compiled (dist/engine/package-root.js):
// the version, the built UI (dist/renderer) and the preload are found from here.
// Reads two file names at most; never throws.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** engine/ → root; dist/engine/ → root. */
export const PACKAGE_ROOT: string = [path.resolve(here, '..'), path.resolve(here, '../..')]
  .find((dir) => existsSync(path.join(dir, 'package.json'))) ?? path.resolve(here, '..');
