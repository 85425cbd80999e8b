import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachExternalId, createDeploy, type Deploy, finishDeploy, markRunning } from '../../src/deploys/index.ts';
import { storeBackends, type TestDatabase } from '../helpers/stores.ts';

// A workflow deploy's run is recorded by whichever sees it first: the executor's lookup after
// dispatching, or the run's first webhook (on any replica). The first recorded stays its run.

describe.each(storeBackends)('recording the GitHub run a deploy belongs to, on $name', (backend) => {
  let db: TestDatabase;
  let deploy: Deploy;
  const now = new Date('2026-11-20T15:00:00Z');

  beforeEach(async () => {
    db = await backend.open();
    const created = await createDeploy(db.store, {
      service: 'api',
      environment: 'staging',
      ref: 'main',
      sha: 'a'.repeat(40),
      requestedBy: 'U0ALICE',
      channel: 'C0STAGING',
      executor: 'workflow',
      forced: false,
      now,
    });
    if (!created.ok) throw new Error('expected a new deploy');
    deploy = created.deploy;
  });
  afterEach(() => db?.close());

  it('keeps the first run recorded, whether by a webhook or by the executor', async () => {
    expect(await attachExternalId(db.store, deploy.id, '5')).toMatchObject({ externalId: '5' });
    expect(await attachExternalId(db.store, deploy.id, '5')).toMatchObject({ externalId: '5' });
    expect(await attachExternalId(db.store, deploy.id, '6')).toBeUndefined();
    expect(await markRunning(db.store, deploy.id, { now, externalId: '6' })).toMatchObject({
      status: 'running',
      externalId: '5',
    });
  });

  it('records no run on a finished deploy', async () => {
    await finishDeploy(db.store, deploy.id, { status: 'failed', now });
    expect(await attachExternalId(db.store, deploy.id, '5')).toBeUndefined();
  });
});
