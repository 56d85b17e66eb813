/** Counts unhandled rejections and uncaught exceptions while a drill runs. */
export interface UnhandledWatch {
  readonly errors: readonly unknown[];
  stop(): void;
}

/** Start counting unhandled rejections (vitest still sees and reports them too). */
export function watchUnhandled(): UnhandledWatch {
  const errors: unknown[] = [];
  const onError = (error: unknown) => {
    errors.push(error);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return {
    errors,
    stop() {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    },
  };
}
