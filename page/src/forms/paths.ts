/** Dotted paths into a settings value ("rules.queue.0.weight"), as the server's field errors name them. */
export function getPath(obj: unknown, path: string): any {
  if (path === '') return obj;
  return path.split('.').reduce<any>((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}

export function setPath(obj: any, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    if (o[keys[i]] === null || typeof o[keys[i]] !== 'object')
      o[keys[i]] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    o = o[keys[i]];
  }
  o[keys[keys.length - 1]] = value;
}

export const join = (base: string, path: string): string => (base && path ? `${base}.${path}` : base || path);
