// What an opened benchmark looks like to the rest of the engine.
import type { BenchInfo, BenchItemSummary } from '../../contract/types.js';

/**
 * One usable item. `row` is the item's 0-based position in the source (JSON list index, JSONL line
 * number - 1, parquet row), matching Python's `data[idx]` in the paper's scripts.
 */
export interface BenchItem extends BenchItemSummary {
  /** Column (parquet) or field (JSON) the full image came from, for messages that name it. */
  imageColumn: string;
  /** Column or field of the regional crop, when the bench has one. */
  cropColumn?: string;
  /** Absolute path of the image file, for formats that keep images as files. */
  imagePath?: string;
  cropPath?: string;
  /** Encoded image bytes (JPEG/PNG as stored). Read lazily: nothing is held in memory after open. */
  readImage(): Promise<Buffer>;
  /** Encoded crop bytes, or undefined when the item has no crop. */
  readCrop(): Promise<Buffer | undefined>;
}

export interface LoadedBench {
  info: BenchInfo;
  /** The file the items were read from (a folder resolves to its test.json / data/test.parquet). */
  dataFile: string;
  items: BenchItem[];
  /** The item with this id, if it loaded. */
  get(itemId: string): BenchItem | undefined;
  /** Plain serialisable summaries (no functions), for the `bench.items` method. */
  summaries(): BenchItemSummary[];
}
