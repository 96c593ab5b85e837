import type { EmulatorCore } from '../core.ts';
import type { Hit } from '../portal-core.ts';
import type { Params } from './params.ts';

/** Who is calling: the token's user, within the app that owns the token. */
export interface Caller {
  userId: number;
  isAdmin: boolean;
  isBot: boolean;
  clientId: string;
  token: string;
}

export interface MethodContext {
  core: EmulatorCore;
  params: Params;
  caller: Caller;
  viaBatch: boolean;
  hit: Hit;
}

export interface MethodResult {
  result: unknown;
  total?: number;
  next?: number;
}

export interface MethodDef {
  /** scope the token must have; null = basic (always granted) */
  scope: string | null;
  handler: (ctx: MethodContext) => MethodResult;
}

export type MethodTable = Record<string, MethodDef>;

export const ok = (result: unknown): MethodResult => ({ result });
