// The resolved configuration's names are the YAML keys in camelCase, derived here rather than
// written out a second time: a key is declared once, in the schema.

/** `max_retry_after` -> `maxRetryAfter`, as a type. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** An object with its own keys (not those of nested objects) in camelCase. */
export type Camelized<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

export function camelCase<S extends string>(key: S): CamelCase<S> {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()) as CamelCase<S>;
}

/**
 * The object's own keys in camelCase; values are left as they are, so a map such as
 * `webhook.headers` keeps its names. Keys whose value is undefined are left out, so that spreading
 * the result over defaults overrides only what was set.
 */
export function camelized<T extends object>(object: T): Camelized<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) out[camelCase(key)] = value;
  }
  return out as Camelized<T>;
}
