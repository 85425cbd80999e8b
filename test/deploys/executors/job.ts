import type { DeployJob } from '../../../src/deploys/index.ts';

/** The deploy an executor is asked to run in these tests. */
export const JOB: DeployJob = {
  id: 42,
  service: 'api',
  environment: 'production',
  repo: 'acme/api',
  ref: 'main',
  sha: '0123456789abcdef0123456789abcdef01234567',
  requestedBy: 'U0ALICE',
};
