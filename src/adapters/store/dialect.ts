/** Which SQL dialect a database speaks; migrations and a few queries differ by it. */
export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(url: string): Dialect {
  return url.startsWith('postgres') ? 'postgres' : 'sqlite';
}
