import type { Queryable } from '../store/index.ts';
import { toDeploy, type Deploy } from './deploys.ts';

export interface RollbackPolicy {
  max_releases: number;
  max_age: number;
}

export type RollbackTarget =
  | { ok: true; undo: Deploy; target: Deploy }
  | { ok: false; reason: 'nothing-deployed' }
  | { ok: false; reason: 'no-earlier-release'; undo: Deploy }
  | { ok: false; reason: 'outside-policy'; undo: Deploy; target: Deploy; why: 'too-many-releases-back' | 'too-old' }
  | { ok: false; reason: 'not-a-release'; undo: Deploy; named: string };

/**
 * What `/rollback` undoes and deploys. It undoes the newest deploy of the service there,
 * whatever its state (in flight, failed, succeeded), and deploys the last successful release
 * before it whose smoke checks passed (when it had any), whose SHA differs and is not marked
 * bad; or the one named: `#id` or a ref already resolved to a SHA; or, `before` a deploy, the newest
 * such release older than that deploy. Only the `max_releases`
 * such releases before it, no older than `max_age`, are within reach.
 */
export async function findRollbackTarget(
  db: Queryable,
  request: {
    service: string;
    environment: string;
    policy: RollbackPolicy;
    now: Date;
    named?: { deployId?: number; sha?: string; text: string };
    before?: number;
  },
): Promise<RollbackTarget> {
  const [latest] = (
    await db.query(`select * from deploys where service = $1 and environment = $2 order by id desc limit 1`, [
      request.service,
      request.environment,
    ])
  ).map((row) => toDeploy(row as never));
  if (!latest) return { ok: false, reason: 'nothing-deployed' };

  const releases = (
    await db.query(
      `select distinct on (sha) * from deploys
        where service = $1 and environment = $2 and status = 'succeeded' and id < $3 and sha <> $4
          and (smoke_status is null or smoke_status = 'passed')
          and sha not in (select sha from bad_shas where service = $1 and cleared_at is null)
        order by sha, id desc`,
      [request.service, request.environment, latest.id, latest.sha],
    )
  )
    .map((row) => toDeploy(row as never))
    .sort((a, b) => b.id - a.id);

  const named = request.named;
  const before = request.before;
  const index = named
    ? releases.findIndex((r) => (named.deployId !== undefined ? r.id === named.deployId : r.sha === named.sha))
    : before !== undefined
      ? releases.findIndex((r) => r.id < before)
      : 0;
  if (named && index < 0) return { ok: false, reason: 'not-a-release', undo: latest, named: named.text };
  const target = index < 0 ? undefined : releases[index];
  if (!target) return { ok: false, reason: 'no-earlier-release', undo: latest };
  if (index >= request.policy.max_releases)
    return { ok: false, reason: 'outside-policy', undo: latest, target, why: 'too-many-releases-back' };
  if (request.now.getTime() - target.finishedAt!.getTime() > request.policy.max_age) {
    return { ok: false, reason: 'outside-policy', undo: latest, target, why: 'too-old' };
  }
  return { ok: true, undo: latest, target };
}

/** Marks the SHA a rollback moved away from: auto-deploy skips it and a manual deploy asks first. */
export async function markBadSha(
  db: Queryable,
  mark: { service: string; sha: string; deployId: number; now: Date },
): Promise<void> {
  await db.query(
    `insert into bad_shas (service, sha, deploy_id, marked_at) values ($1, $2, $3, $4)
     on conflict (service, sha) do update set deploy_id = excluded.deploy_id, marked_at = excluded.marked_at, cleared_at = null, cleared_by = null`,
    [mark.service, mark.sha, mark.deployId, mark.now],
  );
}

export interface BadSha {
  sha: string;
  deployId: number;
  markedAt: Date;
}

export async function findBadSha(db: Queryable, service: string, sha: string): Promise<BadSha | undefined> {
  const rows = await db.query<{ sha: string; deploy_id: number; marked_at: Date }>(
    'select sha, deploy_id, marked_at from bad_shas where service = $1 and sha = $2 and cleared_at is null',
    [service, sha],
  );
  return rows.map((r) => ({ sha: r.sha, deployId: r.deploy_id, markedAt: new Date(r.marked_at) }))[0];
}

/**
 * A deploy of a newer SHA (not a rollback) that succeeded clears the service's marks: the
 * fix is out. Deploying a marked SHA on purpose (after confirming) clears its own mark.
 */
export async function clearBadShas(
  db: Queryable,
  clear: { service: string; sha?: string; by: string; now: Date },
): Promise<void> {
  await db.query(
    `update bad_shas set cleared_at = $3, cleared_by = $4 where service = $1 and cleared_at is null and ($2::text is null or sha = $2)`,
    [clear.service, clear.sha ?? null, clear.now, clear.by],
  );
}
