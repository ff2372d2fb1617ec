// The one content security policy of the app, sent as a header by `loupe serve` and by the Electron
// shell's protocol handler. It matches the <meta> policy in renderer/index.html, plus the exact engine
// WebSocket origin when known: no inline scripts, no eval, no remote origins.

export function contentSecurityPolicy(wsOrigins: string[] = []): string {
  const connect = ["'self'", ...wsOrigins].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    // d3 and React set style attributes; styles cannot run code, scripts stay strict.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    `connect-src ${connect}`,
    "font-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers sent with every web-mode response. `no-referrer` keeps the token in the URL from leaking. */
export function securityHeaders(wsOrigins: string[]): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(wsOrigins),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
