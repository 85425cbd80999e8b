import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { readBody, sendJson } from '../fakes/http.ts';

const MAX_BODY_CHARS = 64 * 1024;

/** `{ ok: false, error }` with a sentence a person can act on. */
export function sendError(res: ServerResponse, status: number, error: string): void {
  sendJson(res, status, { ok: false, error });
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(text);
}

/** The JSON body checked against `schema`; on a problem, answers 400 with a sentence and returns undefined. */
export async function readJson<T extends z.ZodType>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: T,
): Promise<z.output<T> | undefined> {
  const text = await readBody(req);
  if (text.length > MAX_BODY_CHARS) {
    sendError(res, 413, `The request body is over ${MAX_BODY_CHARS / 1024} KB.`);
    return undefined;
  }
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    sendError(res, 400, 'The request body is not JSON.');
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    // A message naming its field (`text is required…`) keeps the field's spelling; others are capitalised.
    const named = issue.path.length > 0 && issue.message.startsWith(String(issue.path[0]));
    const message = named ? issue.message : `${where}${issue.message}`;
    const sentence = named ? message : `${message.charAt(0).toUpperCase()}${message.slice(1)}`;
    sendError(res, 400, sentence.endsWith('.') ? sentence : `${sentence}.`);
    return undefined;
  }
  return parsed.data;
}
