// At import, every item's images are screened (image/screen.ts: readable format, size, pixel and aspect
// limits, truncation) so a bad image is reported when the benchmark is opened, naming row, id, column and
// cause, not when a run reaches it. Rows keep loading (the other view may still run); the run's record
// for the broken view says the same.
import type { BenchRowIssue } from '../../contract/types.js';
import { InvalidImageError } from '../errors.js';
import { screenImage } from '../image/screen.js';
import { keptIssue } from './rows.js';
import type { BenchItem } from './types.js';

async function problemOf(read: () => Promise<Uint8Array | undefined>, name: string): Promise<string | undefined> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await read();
  } catch (err) {
    return `could not be read (${(err as Error).message})`;
  }
  if (bytes === undefined) return undefined;
  try {
    await screenImage(bytes, name);
    return undefined;
  } catch (err) {
    if (err instanceof InvalidImageError) return err.problem;
    throw err;
  }
}

/** Issues for images that the format check at parse time let through but that cannot be used. */
export async function screenItemImages(items: readonly BenchItem[], known: readonly BenchRowIssue[]): Promise<BenchRowIssue[]> {
  const reported = new Set(known.map((i) => `${i.row}|${i.field}`));
  const out: BenchRowIssue[] = [];
  for (const item of items) {
    const views: [string | undefined, () => Promise<Uint8Array | undefined>, string, string][] = [
      [item.imageColumn, () => item.readImage(), 'the full image', 'the global view will fail, the regional one still runs'],
      [item.cropColumn, () => item.readCrop(), 'the crop', 'the regional view will fail, the global one still runs'],
    ];
    for (const [column, read, which, consequence] of views) {
      if (!column || reported.has(`${item.row}|${column}`)) continue;
      if (column === item.cropColumn && !item.hasCrop) continue;
      const name = (column === item.imageColumn ? item.imagePath : item.cropPath) ?? `row ${item.row + 1}, column ${column}`;
      const problem = await problemOf(read, name);
      if (problem) out.push(keptIssue(item.row, column, `${which} (${name}) is unusable: ${problem}; ${consequence}`, item.id));
    }
  }
  return out;
}
