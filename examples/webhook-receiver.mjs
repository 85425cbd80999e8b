// A deploy receiver for `deploy: { via: webhook, url: "http://<host>:8080/deploy" }`, with no
// dependencies: `TUGBOAT_WEBHOOK_SECRET=… DEPLOY_COMMAND=./deploy.sh node examples/webhook-receiver.mjs`
//
// tugboat POSTs JSON { deploy_id, service, environment, repo, ref, sha, requested_by,
// rollback_of, callback_url } with X-Tugboat-Timestamp and
// X-Tugboat-Signature-256: sha256=HMAC-SHA256(secret, "<timestamp>.<body>").
// The receiver answers 202 at once, deploys, then reports back to callback_url, signed the
// same way, with { deploy_id, status: running|succeeded|failed, log_url?, description? }.
// When tugboat stops a deploy (/deploy cancel, deploy.timeout, a rollback taking over) it POSTs
// { action: "cancel", deploy_id, service, environment, reason } to the same URL, signed the same
// way: the receiver stops that deploy's command (its whole process group) and answers 200.
import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const secret = process.env.TUGBOAT_WEBHOOK_SECRET;
const command = (process.env.DEPLOY_COMMAND ?? './deploy.sh').split(' ');
const port = Number(process.env.PORT ?? 8080);
if (!secret) throw new Error('set TUGBOAT_WEBHOOK_SECRET');

const sign = (timestamp, body) => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

function verified(req, body) {
  const timestamp = Number(req.headers['x-tugboat-timestamp']);
  const given = Buffer.from(String(req.headers['x-tugboat-signature-256'] ?? ''));
  const expected = Buffer.from(sign(timestamp, body));
  const fresh = Math.abs(Date.now() / 1000 - timestamp) < 300;
  return fresh && given.length === expected.length && timingSafeEqual(given, expected);
}

async function report(callbackUrl, deployId, status, description) {
  const body = JSON.stringify({ deploy_id: deployId, status, description });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(callbackUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tugboat-timestamp': String(timestamp),
      'x-tugboat-signature-256': sign(timestamp, body),
    },
    body,
  });
  if (!response.ok) console.error(`callback answered ${response.status}: ${await response.text()}`);
}

/** The commands running now, by deploy id, so a cancel can stop them. */
const running = new Map();

function cancel(request) {
  const child = running.get(request.deploy_id);
  if (!child) return false;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  return true;
}

function deploy(request) {
  const env = {
    ...process.env,
    TUGBOAT_DEPLOY_ID: String(request.deploy_id),
    TUGBOAT_SERVICE: request.service,
    TUGBOAT_ENV: request.environment,
    TUGBOAT_SHA: request.sha,
    TUGBOAT_REF: request.ref,
  };
  return new Promise((resolve) => {
    // Its own process group, so a cancel also stops whatever the command started.
    const child = spawn(command[0], command.slice(1), { env, stdio: 'inherit', detached: true });
    running.set(request.deploy_id, child);
    const done = (outcome) => {
      running.delete(request.deploy_id);
      resolve(outcome);
    };
    child.on('error', (error) => done({ ok: false, why: error.message }));
    child.on('exit', (code, signal) =>
      done({ ok: code === 0, why: code === null ? `stopped by ${signal}` : `exited with code ${code}` }),
    );
  });
}

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      if (req.method !== 'POST' || !verified(req, body)) return res.writeHead(401).end();
      const request = JSON.parse(body);
      if (request.action === 'cancel') return res.writeHead(cancel(request) ? 200 : 404).end();
      res.writeHead(202).end();
      await report(
        request.callback_url,
        request.deploy_id,
        'running',
        `deploying on ${process.env.HOSTNAME ?? 'the receiver'}`,
      );
      const outcome = await deploy(request);
      await report(
        request.callback_url,
        request.deploy_id,
        outcome.ok ? 'succeeded' : 'failed',
        outcome.ok ? undefined : outcome.why,
      );
    });
  })
  .listen(port, () => console.log(`deploy receiver listening on :${port}`));
