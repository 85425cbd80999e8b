import { deploy } from './deploy.ts';
import { lock } from './lock.ts';
import { locks } from './locks.ts';
import { rollback } from './rollback.ts';
import { tugboat } from './tugboat.ts';
import { unlock } from './unlock.ts';
import type { Command } from './types.ts';

export type { Command, CommandDeps, Invocation, Reply } from './types.ts';

export const commands: Command[] = [deploy, rollback, lock, unlock, locks, tugboat];
