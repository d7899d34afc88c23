export type AlertStatus = 'firing' | 'resolved';
export type Labels = Readonly<Record<string, string>>;

/** One alert, normalised from an Alertmanager webhook or a direct submission. */
export interface Alert {
  readonly fingerprint: string;
  readonly status: AlertStatus;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** RFC 3339, as received. */
  readonly startsAt: string;
  /** RFC 3339; Alertmanager sends `0001-01-01T00:00:00Z` while an alert fires. */
  readonly endsAt: string | null;
  readonly generatorURL: string | null;
}

/** What the alert's notification group says about it; null for direct submissions. */
export interface GroupContext {
  readonly receiver: string | null;
  readonly groupKey: string | null;
  readonly externalURL: string | null;
}

export const NO_GROUP: GroupContext = { receiver: null, groupKey: null, externalURL: null };

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const SEPARATOR = 0xff;

/**
 * The fingerprint Alertmanager would give this label set: FNV-1a 64 over the sorted
 * names and values, each followed by the 0xff separator, printed as 16 hex digits.
 * Submissions that carry no fingerprint get this one, so they deduplicate and route
 * exactly like the same alert arriving through Alertmanager.
 */
export function fingerprintOf(labels: Labels): string {
  let hash = FNV_OFFSET;
  const add = (byte: number) => {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of Buffer.from(name, 'utf8')) add(byte);
    add(SEPARATOR);
    for (const byte of Buffer.from(labels[name]!, 'utf8')) add(byte);
    add(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}
