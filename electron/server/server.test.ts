import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EngineHandlerDouble } from '../transport/testing/engine-double.js';
import { WS_CLOSE_UNAUTHORIZED } from '../transport/ws-client.js';
import { startServer, type LoupeServer } from './server.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket and reports how it ended: close code, or an HTTP refusal of the upgrade. */
function wsOutcome(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ opened: boolean; code?: number; reason?: string; httpStatus?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    let opened = false;
    ws.on('open', () => (opened = true));
    ws.on('close', (code, reason) => resolve({ opened, code, reason: reason.toString() }));
    ws.on('unexpected-response', (_req, res) => resolve({ opened, httpStatus: res.statusCode }));
    ws.on('error', () => {});
  });
}

describe('loupe serve', () => {
  let root: string;
  let server: LoupeServer;
  const engine = new EngineHandlerDouble();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'loupe-server-'));
    const renderer = join(root, 'renderer');
    mkdirSync(join(renderer, 'assets'), { recursive: true });
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Loupe test page</title>');
    writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'do not serve');
    symlinkSync(join(root, 'secret.txt'), join(renderer, 'assets', 'link.txt'));
    server = await startServer({ engine, rendererDir: renderer, token: 'tok-123' });
  });

  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('prints a 127.0.0.1 URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=tok-123`);
  });

  it('refuses HTTP requests without the token or with a wrong one (401)', async () => {
    const none = await get(server.port, '/');
    expect(none.status).toBe(401);
    expect(none.body).toMatch(/token/);
    expect((await get(server.port, '/?token=tok-124')).status).toBe(401);
    expect((await get(server.port, '/assets/app.js')).status).toBe(401);
    expect((await get(server.port, '/', { cookie: `loupe_token_${server.port}=nope` })).status).toBe(401);
  });

  it('serves index.html with the CSP header and a token cookie for the assets', async () => {
    const page = await get(server.port, '/?token=tok-123');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Loupe test page');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`ws://127.0.0.1:${server.port}`);
    expect(csp).toContain("object-src 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain(`loupe_token_${server.port}=tok-123`);
    expect(cookie).toContain('HttpOnly');
    const asset = await get(server.port, '/assets/app.js', { cookie: `loupe_token_${server.port}=tok-123` });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  it('never serves files outside the renderer folder', async () => {
    const t = '?token=tok-123';
    expect((await get(server.port, `/../secret.txt${t}`)).body).not.toContain('do not serve');
    expect((await get(server.port, `/%2e%2e/secret.txt${t}`)).body).not.toContain('do not serve');
    expect((await get(server.port, `/assets/link.txt${t}`)).status).toBe(404);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get(server.port, '/?token=tok-123', { host: 'evil.example:80' })).status).toBe(403);
  });

  it('closes WebSockets without the token, with a reason the page can show', async () => {
    const none = await wsOutcome(`ws://127.0.0.1:${server.port}/ws`);
    expect(none.code).toBe(WS_CLOSE_UNAUTHORIZED);
    expect(none.reason).toMatch(/token/);
    const wrong = await wsOutcome(`ws://127.0.0.1:${server.port}/ws?token=bad`);
    expect(wrong.code).toBe(WS_CLOSE_UNAUTHORIZED);
  });

  it('refuses WebSockets from another origin even with the token', async () => {
    const outcome = await wsOutcome(`ws://127.0.0.1:${server.port}/ws?token=tok-123`, { origin: 'http://evil.example' });
    expect(outcome.opened).toBe(false);
    expect(outcome.httpStatus).toBe(403);
  });
});
