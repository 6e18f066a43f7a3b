/** @module The value shapes settings share: booleans and lists as the environment spells them, durations, URLs. */
import { z } from 'zod';

/** `true`/`1`/`yes`/`on` (any case) or a boolean. */
export const bool = z
  .union([z.boolean(), z.string()])
  .transform((v) =>
    typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase()),
  );
/** A comma-separated list, or an array. */
export const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));
/** A duration in ms, at least 1. */
export const ms = (def: number) => z.coerce.number().int().min(1).default(def);
/** A URL, without trailing slashes. */
export const url = z
  .string()
  .url()
  .transform((u) => u.replace(/\/+$/, ''));
