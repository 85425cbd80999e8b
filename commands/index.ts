import { lock } from './lock.ts';
import { locks } from './locks.ts';
import { tugboat } from './tugboat.ts';
import { unlock } from './unlock.ts';
import type { Command } from './types.ts';

export type { Command, Invocation, Reply } from './types.ts';

export const commands: Command[] = [lock, unlock, locks, tugboat];
