/** Injection token of the {@link DatabaseHandle} (open, migrate, close). */
export const DATABASE_HANDLE = Symbol('DATABASE_HANDLE');
/** Injection token of the Drizzle `Database`; only repositories inject it. */
export const DATABASE = Symbol('DATABASE');
