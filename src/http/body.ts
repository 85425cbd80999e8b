import type { IncomingMessage } from 'node:http';
import type { IntakeBudget, Reservation } from './intake.ts';

/** A request refused for what its body would cost; the server answers `status` and closes the connection. */
export class IntakeRefusal extends Error {
  constructor(
    readonly status: 413 | 503,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class BodyTooLargeError extends IntakeRefusal {
  constructor(limitBytes: number) {
    super(413, `body is over the limit of ${limitBytes} bytes`);
  }
}

export class IntakeFullError extends IntakeRefusal {
  constructor() {
    super(503, 'too many request bodies arriving at once; try again shortly', 5);
  }
}

export class ClientGoneError extends Error {
  constructor() {
    super('the client went away before sending the whole body');
  }
}

/** The declared `Content-Length`, or undefined for a chunked body. */
function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

/**
 * Lets a request's body in, before any of it is read: refused with 413 when its declared length
 * is over `limitBytes`, with 503 when the budget cannot hold it. The caller releases the claim
 * when the request is over.
 */
export function admit(req: IncomingMessage, limitBytes: number, budget: IntakeBudget): Reservation {
  const declared = declaredLength(req) ?? 0;
  if (declared > limitBytes) throw new BodyTooLargeError(limitBytes);
  const reservation = budget.reserve(declared);
  if (!reservation) throw new IntakeFullError();
  return reservation;
}

/**
 * The raw body, refused past `limitBytes` and whenever the intake budget cannot hold what has
 * arrived. On refusal the rest is left unread: the caller answers and the connection closes.
 */
export function readBody(req: IncomingMessage, limitBytes: number, reservation: Reservation): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = collector(declaredLength(req));
    let size = 0;
    const stop = (error: Error) => {
      req.removeListener('data', onData);
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) return stop(new BodyTooLargeError(limitBytes));
      if (!reservation.growTo(size)) return stop(new IntakeFullError());
      body.add(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(body.done()));
    // Node reports a client that hangs up mid-body as an 'aborted' error, and always as 'close'.
    req.once('error', () => reject(new ClientGoneError()));
    req.once('close', () => {
      if (!req.complete) reject(new ClientGoneError());
    });
  });
}

/** With a declared length, one buffer filled in place: no second copy of a large body when it is complete. */
function collector(length: number | undefined) {
  if (length === undefined) {
    const chunks: Buffer[] = [];
    return { add: (chunk: Buffer) => void chunks.push(chunk), done: () => Buffer.concat(chunks) };
  }
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  return {
    add(chunk: Buffer) {
      filled += chunk.copy(buffer, filled);
    },
    done: () => buffer.subarray(0, filled),
  };
}
