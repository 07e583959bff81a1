/**
 * Typed delegation without a hand-written member list: `withOverrides(inner, { method })` is `inner` with the given
 * members replaced. A wrapper that lists every member of an interface must be edited each time the interface grows
 * (the compiler flags a missing required member, but an optional one just vanishes from the wrapper); this one passes
 * any member it does not override straight to `inner`.
 */

/**
 * `inner` seen through `overrides`: a member present in `overrides` is taken from there, every other member from
 * `inner`, read at the time of access. Methods of `inner` are bound to `inner`, so class instances with private
 * (`#`) fields work through it. Writes go to `inner`. It is used through its interface: enumerating it (`Object.keys`,
 * spread) sees nothing.
 * @typeParam T the interface the result has, usually the one `inner` was typed as.
 */
export function withOverrides<T extends object>(inner: T, overrides: Partial<T>): T {
  /** Bound copies of `inner`'s methods, one per function value, so repeated reads return the same function. */
  const bound = new WeakMap<(...args: never[]) => unknown, unknown>();
  // An empty target: the proxy answers for `inner`, and no invariant of a frozen `inner` can be broken by binding.
  return new Proxy({} as T, {
    get(_target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T];
      const value: unknown = Reflect.get(inner, key, inner);
      if (typeof value !== 'function') return value;
      const method = value as (...args: never[]) => unknown;
      let fn = bound.get(method);
      if (fn === undefined) {
        fn = method.bind(inner);
        bound.set(method, fn);
      }
      return fn;
    },
    set: (_target, key, value) => Reflect.set(inner, key, value, inner),
    has: (_target, key) => Object.hasOwn(overrides, key) || Reflect.has(inner, key),
  });
}
