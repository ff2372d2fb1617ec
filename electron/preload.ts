// Preload of the one window. Sandboxed (bundled to CommonJS; only `electron` is required at run time):
// it exposes the narrow `window.loupeBridge` and nothing else. See transport/ipc-renderer.ts.
import { exposeBridge } from './transport/ipc-renderer.js';

exposeBridge();
