/** Runs at most `max` of the functions given to it at once; the rest wait their turn in order. */
export function createLimit(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  // A finished function hands its slot straight to the next in line, so a newcomer cannot take it in between.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async (fn) => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      release();
    }
  };
}
