import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendError } from './http.ts';

/** The page's files (HTML, CSS, JS), served as they are: no build step. */
export const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** One HTTP server for the page, its API and the demo service; `routes` are tried in order. */
export function createSandboxServer(routes: RouteHandler[], log: (error: unknown) => void): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    void (async () => {
      if ((req.method === 'GET' || req.method === 'HEAD') && (await servePage(res, url.pathname))) return;
      for (const route of routes) if (await route(req, res, url)) return;
      sendError(res, 404, `There is nothing at ${req.method} ${url.pathname} in the sandbox.`);
    })().catch((error: unknown) => {
      log(error);
      sendError(res, 500, `The sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
}

async function servePage(res: ServerResponse, pathname: string): Promise<boolean> {
  let file: string;
  if (pathname === '/' || pathname === '/index.html') file = 'index.html';
  else if (pathname.startsWith('/page/')) file = decodeURIComponent(pathname.slice('/page/'.length));
  else return false;
  const resolved = path.resolve(PAGE_DIR, file);
  if (!resolved.startsWith(PAGE_DIR) || resolved === PAGE_DIR.replace(/\/$/, '')) {
    sendError(res, 404, `There is no page file ${file}.`);
    return true;
  }
  const content = await readFile(resolved).catch(() => undefined);
  if (!content) {
    sendError(res, 404, `There is no page file ${file}.`);
    return true;
  }
  const type = CONTENT_TYPES[path.extname(resolved).toLowerCase()] ?? 'application/octet-stream';
  if (!res.headersSent) {
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.end(content);
  }
  return true;
}
