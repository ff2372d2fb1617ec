"""Independent re-implementations of Loupe's map analyses in numpy, written from their definitions in
docs/metrics.md, so the TypeScript metrics (electron/engine/metrics) are checked against a second
implementation rather than against themselves."""
