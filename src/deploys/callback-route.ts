import type { Deps } from '../deps.ts';
import type { Deployer } from './deployer.ts';
import { send, type Handler } from '../http/server.ts';
import { TIMESTAMP_HEADER, SIGNATURE_HEADER } from './executors/webhook.ts';
import { verifyCallback } from './callback.ts';
import { getDeploy } from './deploys.ts';
import { escapeText, LIMITS } from '../slack/render/untrusted.ts';

const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

/** `POST /deploys/callback`: a `via: webhook` receiver reporting on a deploy, signed like the request it got. */
export function deployCallbackHandler(
  secret: string | undefined,
  deps: Pick<Deps, 'store'> & { deployer: Pick<Deployer, 'complete' | 'progress'> },
): Handler {
  return async (req, res, body) => {
    if (req.method !== 'POST') return send(res, 405, 'POST only\n');
    if (!secret) return send(res, 404, 'deploy callbacks are off: set TUGBOAT_WEBHOOK_SECRET\n');
    const checked = verifyCallback({
      secret,
      rawBody: (await body()).toString('utf8'),
      timestamp: header(req.headers[TIMESTAMP_HEADER.toLowerCase()]),
      signature: header(req.headers[SIGNATURE_HEADER.toLowerCase()]),
      nowSec: Math.floor(Date.now() / 1000),
    });
    if (!checked.ok) return send(res, checked.status, `${checked.message}\n`);
    const { report } = checked;
    const deploy = await getDeploy(deps.store, report.deployId);
    if (!deploy || deploy.executor !== 'webhook') return send(res, 404, `no webhook deploy #${report.deployId}\n`);
    if (report.status === 'running') {
      await deps.deployer.progress(
        deploy.id,
        `Receiver: running${report.description ? `: ${escapeText(report.description, LIMITS.sentence)}` : ''}`,
      );
    } else {
      const recorded = await deps.deployer.complete(deploy.id, {
        succeeded: report.status === 'succeeded',
        detail: report.description,
        logUrl: report.logUrl,
      });
      if (!recorded) return send(res, 200, `deploy #${deploy.id} had already finished; nothing changed\n`);
    }
    send(res, 200, 'ok\n');
  };
}
