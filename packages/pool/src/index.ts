/** Placeholder until the pool lands. */
export const VERSION: string = '0.0.0';
