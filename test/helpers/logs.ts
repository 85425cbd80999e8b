import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.ts';

/** Log lines, as written and as parsed JSON, for asserting what was (and was not) logged. */
export class LogCapture extends Writable {
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.raw.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
  get lines(): Array<Record<string, unknown>> {
    return this.raw.map((line) => JSON.parse(line));
  }
}

/** A logger at info level writing into `capture`. */
export function testLogger(capture = new LogCapture()): Logger {
  return createLogger({ level: 'info', destination: capture });
}
