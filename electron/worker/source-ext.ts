// Whether a module runs from TypeScript source (tsx, Vitest) or from a JS bundle, so sibling files
// are named with the right extension. tsx's tsImport appends a query to module URLs, hence the parse.
export function moduleExt(metaUrl: string): '.ts' | '.js' {
  return new URL(metaUrl).pathname.endsWith('.ts') ? '.ts' : '.js';
}
