export default async function globalTeardown(): Promise<void> {
  await (globalThis as { heraldTestStack?: () => Promise<void> }).heraldTestStack?.();
}
