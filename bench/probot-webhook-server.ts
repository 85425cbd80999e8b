/** The baseline for webhook ingest: a Probot app with an empty `pull_request` handler, on node:http. */
import http from 'node:http';
import { Probot, createNodeMiddleware } from 'probot';

const probot = new Probot({ githubToken: 'ghp_bench', secret: process.env.GITHUB_WEBHOOK_SECRET, logLevel: 'warn' });
const middleware = await createNodeMiddleware(
  (app) => {
    app.on('pull_request', async () => {});
  },
  { probot, webhooksPath: '/github/webhooks' },
);

http
  .createServer((req, res) =>
    middleware(req, res, () => {
      res.writeHead(404).end();
    }),
  )
  .listen(Number(process.env.PORT), '127.0.0.1');
