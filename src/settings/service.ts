import type { z } from 'zod';
import type { SettingsRepository } from '../db/repositories/settings.ts';
import { type DealSettings, dealSettingsSchema } from './deals.ts';
import { type HandoverSettings, handoverSettingsSchema } from './absences.ts';
import { type OwnerSettings, ownerSettingsSchema } from './owner.ts';
import {
  type LeadSettings,
  type LineSettings,
  leadSettingsSchema,
  lineSettingsSchema,
  type OperatorsSettings,
  operatorSettingsSchema,
  operatorsSettingsSchema,
  type PortalSettings,
  portalSettingsSchema,
  SETTINGS_SCOPES,
} from './schema.ts';

type Listener = (memberId: string, scope: string) => void;
/** The portal's absences per user as the app saw them (absence/feature.ts reads them from the store). */
type ObservedAbsences = (memberId: string) => Promise<Map<number, { from: number; to: number }[]>>;

/**
 * Typed access to a portal's settings. Reads fill defaults (nothing stored = defaults);
 * writes are validated by the same schemas as the page and the API. Listeners hear of every
 * change so that caches (line rules, operator state) take effect at once.
 */
export class SettingsService {
  private readonly listeners: Listener[] = [];
  private observed: ObservedAbsences | null = null;
  constructor(
    private readonly repo: SettingsRepository,
    private readonly clock: () => number = Date.now,
  ) {}

  onChange(l: Listener): void {
    this.listeners.push(l);
  }

  line(memberId: string, lineId: number | string): Promise<LineSettings> {
    return this.read(memberId, SETTINGS_SCOPES.line(lineId), lineSettingsSchema);
  }
  leads(memberId: string): Promise<LeadSettings> {
    return this.read(memberId, SETTINGS_SCOPES.leads, leadSettingsSchema);
  }
  deals(memberId: string): Promise<DealSettings> {
    return this.read(memberId, SETTINGS_SCOPES.deals, dealSettingsSchema);
  }
  handover(memberId: string): Promise<HandoverSettings> {
    return this.read(memberId, SETTINGS_SCOPES.handover, handoverSettingsSchema);
  }
  owner(memberId: string): Promise<OwnerSettings> {
    return this.read(memberId, SETTINGS_SCOPES.owner, ownerSettingsSchema);
  }
  /**
   * Every operator's settings as decisions use them: what admins stored, plus the portal's
   * absences the app saw (so an ended one still says when someone came back: engine/returns.ts).
   * The settings page and the API read the stored value alone.
   */
  async operators(memberId: string, o: { observed?: boolean } = {}): Promise<OperatorsSettings> {
    const own = await this.read(memberId, SETTINGS_SCOPES.operators, operatorsSettingsSchema);
    const seen = this.observed && o.observed !== false ? await this.observed(memberId) : null;
    if (!seen || seen.size === 0) return own;
    const out: OperatorsSettings = { ...own };
    for (const [id, list] of seen) {
      const s = out[String(id)] ?? operatorSettingsSchema.parse({});
      out[String(id)] = {
        ...s,
        absences: [...s.absences, ...list.map((a) => ({ ...a, deputyId: null, note: '' }))],
      };
    }
    return out;
  }

  /** Where the portal's absences come from (set once by the absence feature). */
  observeAbsences(source: ObservedAbsences): void {
    this.observed = source;
  }
  portal(memberId: string): Promise<PortalSettings> {
    return this.read(memberId, SETTINGS_SCOPES.portal, portalSettingsSchema);
  }

  /** Validates and stores; returns the stored (defaults-filled) value. Throws ZodError on bad input. */
  async write<S extends z.ZodType>(
    memberId: string,
    scope: string,
    schema: S,
    value: unknown,
    userId: number | null,
  ) {
    const parsed = schema.parse(value) as z.output<S>;
    await this.repo.set(memberId, scope, parsed, this.clock(), userId);
    for (const l of this.listeners) l(memberId, scope);
    return parsed;
  }

  private async read<S extends z.ZodType>(memberId: string, scope: string, schema: S): Promise<z.output<S>> {
    const stored = await this.repo.get(memberId, scope);
    const parsed = schema.safeParse(stored?.value ?? {});
    // A stored value that no longer fits (an older schema) falls back to defaults rather than failing a decision.
    return (parsed.success ? parsed.data : schema.parse({})) as z.output<S>;
  }
}
