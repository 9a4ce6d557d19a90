/**
 * Where the clients keep their tokens. Any key-value store fits, synchronous (localStorage) or
 * not (React Native's AsyncStorage: `{ get: (k) => AsyncStorage.getItem(k), set: (k, v) =>
 * AsyncStorage.setItem(k, v), remove: (k) => AsyncStorage.removeItem(k) }`).
 */
export interface TokenStorage {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  remove(key: string): void | Promise<void>;
}

/** A storage that lives as long as the page or process does. */
export function memoryStorage(): TokenStorage {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key),
    set: (key, value) => void values.set(key, value),
    remove: (key) => void values.delete(key),
  };
}

/**
 * `localStorage` where there is one (browsers), else memory (React Native, Node). Reading
 * `localStorage` can itself throw (storage disabled, sandboxed frames): that is "none" too.
 */
export function defaultStorage(): TokenStorage {
  let local: Storage | undefined;
  try {
    local = globalThis.localStorage ?? undefined;
  } catch {
    local = undefined;
  }
  if (!local) return memoryStorage();
  const store = local;
  return {
    get: (key) => store.getItem(key),
    set: (key, value) => store.setItem(key, value),
    remove: (key) => store.removeItem(key),
  };
}
