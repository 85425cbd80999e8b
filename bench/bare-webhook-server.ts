/** The baseline for webhook ingest: bare node:http that only checks GitHub's signature and answers 200. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const secret = process.env.GITHUB_WEBHOOK_SECRET ?? '';
const port = Number(process.env.PORT);

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(Buffer.concat(chunks)).digest('hex'));
      const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
      res.writeHead(given.length === expected.length && timingSafeEqual(given, expected) ? 200 : 401);
      res.end();
    });
  })
  .listen(port, '127.0.0.1');
