// The set of files and folders the user explicitly opened (command-line arguments of `loupe serve`,
// native dialogs and drops in the desktop shell, the app's own resources). Requests that name any other
// path are refused, so a page that got hold of the token still cannot read arbitrary files.
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ForbiddenError } from '../engine/errors.js';

/** Resolves symlinks so that a link inside an allowed folder cannot point outside it. */
function realOrResolved(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    // Not there (yet): resolve the parent, e.g. an export destination about to be written.
    try {
      const parent = realpathSync(dirname(absolute));
      return resolve(parent, absolute.slice(dirname(absolute).length + 1));
    } catch {
      return absolute;
    }
  }
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export class PathRegistry {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();

  /** One file the user opened (an image, a benchmark file). */
  allowFile(path: string): string {
    const real = realOrResolved(path);
    this.files.add(real);
    return real;
  }

  /** A folder whose whole content the user opened (a model folder, a benchmark folder, an export folder). */
  allowDir(path: string): string {
    const real = realOrResolved(path);
    this.dirs.add(real);
    return real;
  }

  isAllowed(path: string): boolean {
    const real = realOrResolved(path);
    if (this.files.has(real)) return true;
    for (const dir of this.dirs) if (isInside(dir, real)) return true;
    return false;
  }

  /** Throws a ForbiddenError naming the path and how to open it when it was never opened. */
  check(path: string, field: string): void {
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
      throw new ForbiddenError(`${field} must be a non-empty path.`, { field });
    }
    if (!this.isAllowed(path)) {
      throw new ForbiddenError(
        `Loupe only reads files you opened: ${path} was not. In the desktop app use File > Open or drop it on the window; ` +
          'in web mode pass it to `loupe serve` (e.g. `loupe serve --model DIR --bench FILE --allow DIR`).',
        { file: path, field },
      );
    }
  }

  list(): { files: string[]; dirs: string[] } {
    return { files: [...this.files], dirs: [...this.dirs] };
  }
}
