/** What a lock covers: every environment (`all`), one environment, or one service in one environment. */
export type LockScope =
  | { kind: 'all' }
  | { kind: 'environment'; environment: string }
  | { kind: 'service'; environment: string; service: string };

export function scopeColumns(scope: LockScope): { environment: string | null; service: string | null } {
  switch (scope.kind) {
    case 'all':
      return { environment: null, service: null };
    case 'environment':
      return { environment: scope.environment, service: null };
    case 'service':
      return { environment: scope.environment, service: scope.service };
  }
}

export function scopeFromColumns(environment: string | null, service: string | null): LockScope {
  if (environment === null) return { kind: 'all' };
  if (service === null) return { kind: 'environment', environment };
  return { kind: 'service', environment, service };
}

/** `all`, `production`, `api@production`: the way users type and read scopes. */
export function scopeLabel(scope: LockScope): string {
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'environment':
      return scope.environment;
    case 'service':
      return `${scope.service}@${scope.environment}`;
  }
}

export function sameScope(a: LockScope, b: LockScope): boolean {
  return scopeLabel(a) === scopeLabel(b);
}

/** Whether a lock on `scope` covers deploying `service` to `environment`. */
export function scopeCovers(scope: LockScope, service: string, environment: string): boolean {
  if (scope.kind === 'all') return true;
  if (scope.environment !== environment) return false;
  return scope.kind === 'environment' || scope.service === service;
}
