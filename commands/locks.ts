import { listLocks } from '../src/locks/index.ts';
import { lockList } from '../src/slack/render/locks.ts';
import type { Command } from './types.ts';

export const locks: Command<'now' | 'store'> = {
  name: '/locks',
  async run(_invocation, reply, deps) {
    const now = deps.now();
    await reply(lockList(await listLocks(deps.store, now), now));
  },
};
