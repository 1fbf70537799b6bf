/**
 * Each parser's catalog: the vendor event types it classifies and how. The parsers classify from
 * these tables, the coverage matrix (`docs/detection-coverage.md`) is generated from them, and a
 * test parses an example of every entry, so the three cannot drift apart.
 */
import type { Classified, EventProvider } from './events';

export interface CatalogEntry {
  /** The vendor's event type, log code, operation or action name, as it appears in the record. */
  type: string;
  classified: Classified;
  /** The vendor's name for the type, when the type is a number (OneLogin). */
  name?: string;
  /** When the classification depends on more than the type (a field's value). */
  when?: string;
  /** Fields of a record that is classified so (beside the type): the catalog test parses it. */
  example?: Record<string, unknown>;
}

export type Catalog = readonly CatalogEntry[];

/** One catalog row: a type, its class, and (optionally) its condition, example or vendor name. */
export function entry(type: string, classified: Classified, extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return { type, classified, ...extra };
}

/** Entries without a condition, by type, for the parser's lookup. */
export function byType(catalog: Catalog, fold = false): Map<string, Classified> {
  const m = new Map<string, Classified>();
  for (const e of catalog) if (!e.when) m.set(fold ? e.type.toLowerCase() : e.type, e.classified);
  return m;
}

export interface VendorCatalog {
  provider: EventProvider;
  /** What the catalog is drawn from (the vendor's published reference). */
  source: string;
  catalog: Catalog;
  /** A raw record of this vendor with the given type (and an entry's example fields). */
  record: (entry: CatalogEntry) => Record<string, unknown>;
}
