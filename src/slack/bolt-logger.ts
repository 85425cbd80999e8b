import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../log.ts';

/** Bolt and the Web API client log through our pino logger, so their lines are JSON and redacted too. */
export function boltLogger(log: Logger): SlackLogger {
  const child = log.child({ component: 'bolt' });
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => child.debug(line(msg)),
    info: (...msg) => child.info(line(msg)),
    warn: (...msg) => child.warn(line(msg)),
    error: (...msg) => child.error(line(msg)),
    setLevel: () => undefined,
    getLevel: () => child.level as LogLevel,
    setName: () => undefined,
  };
}
