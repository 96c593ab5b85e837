import type { Feature } from '../app-context.ts';
import type { CrmKind } from '../crm/kind.ts';
import type { LeadFacts } from '../crm/lead-read.ts';
import { AbsenceRepository } from '../db/repositories/absences.ts';
import { RETURN_GRACE_MS } from '../engine/index.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { operatorDirectory } from '../operators/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { Cover } from './cover.ts';
import { absenceStep, type HandoverParts } from './step.ts';

/** What this feature shares as `ctx.services.absences`. */
export interface AbsenceServices {
  repository: AbsenceRepository;
  /** the sync job's absence step (step.ts) */
  sync(j: JobContext): Promise<JobResult>;
}

interface CrmService {
  kind: CrmKind;
  handOver(
    memberId: string,
    f: LeadFacts,
    c: PortalClient,
    h: { to: number | null; cover: Cover },
  ): Promise<string>;
}

/**
 * Absences and their handover (issue 19): absences from the portal and from the app's
 * settings, kept in the store; the handover at an absence's start and the quiet return at its
 * end (step.ts, on the sync job's schedule); deputies standing in meanwhile (cover.ts, used by
 * the lead and dialog decisions). The portal's absences the app saw are also what decisions
 * read as absences (settings.operators()), so an ended one still says when someone came back.
 */
export const absenceFeature: Feature = {
  name: 'absences',
  register(ctx) {
    const repository = new AbsenceRepository(ctx.db);
    ctx.settings.observeAbsences((memberId) => repository.observed(memberId, ctx.clock() - RETURN_GRACE_MS));
    const parts: HandoverParts = {
      dialogs: () => (ctx.services.openlines as ReturnType<HandoverParts['dialogs']>) ?? null,
      crm: () => {
        const out: ReturnType<HandoverParts['crm']> = [];
        for (const name of ['leads', 'deals']) {
          const svc = (ctx.services[name] as { service?: CrmService } | undefined)?.service;
          if (svc) out.push({ kind: svc.kind, handOver: (...a) => svc.handOver(...a) });
        }
        return out;
      },
    };
    const services: AbsenceServices = {
      repository,
      sync: (j) =>
        absenceStep(
          { repo: repository, settings: ctx.settings, directory: operatorDirectory(ctx), parts },
          j,
        ),
    };
    ctx.services.absences = services;
  },
};
