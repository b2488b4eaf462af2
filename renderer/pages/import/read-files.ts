// Files the admin chose (a folder, or several files) or dropped, as the engine's
// importer takes them: the name the plan shows (a folder's own name taken off, so
// "etc-mail/forward/bob" is "forward/bob"), and the text — or binary: true for a
// makemap .db, which the plan then names as having no text source.
import type { SourceFile } from '../../../engine/api.ts';

/** makemap and postmap databases have a NUL byte within their first page. */
const SNIFF_BYTES = 8192;

export async function readFiles(list: FileList | File[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const file of Array.from(list)) {
    const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
    const name = rel.includes('/') ? rel.slice(rel.indexOf('/') + 1) : rel;
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.subarray(0, SNIFF_BYTES).includes(0)) out.push({ name, binary: true });
    else out.push({ name, text: new TextDecoder().decode(bytes) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
