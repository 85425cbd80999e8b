export type Row = Record<string, unknown>;

type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** A table's row as queries return it: the domain type's fields under their snake_case column names. */
export type ColumnsOf<T> = { [K in keyof T & string as SnakeCase<K>]: T[K] };

/** A nullable timestamp column as a `Date` (or null). */
export const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

export interface Queryable {
  query<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The one interface the app has over PostgreSQL, whether a real server (`pg`) or the
 * embedded PGlite. Everything that must hold across replicas is expressed in SQL through it.
 */
export interface Store extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
