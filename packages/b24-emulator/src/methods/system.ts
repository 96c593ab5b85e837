import { FEATURE_GET_MISSING_CODE_ERROR } from '../assumptions.ts';
import type { EmulatorCore } from '../core.ts';
import { isoDate } from '../dates.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { asStr, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';

/** `app.info` (common/system/app-info.md). */
export function appInfoResult(core: EmulatorCore): Record<string, unknown> {
  return {
    ID: 1,
    CODE: core.app.code,
    VERSION: core.state.app.version,
    STATUS: core.app.status,
    INSTALLED: core.state.app.installed,
    PAYMENT_EXPIRED: 'N',
    DAYS: null,
    LANGUAGE_ID: core.language,
    LICENSE: `${core.language}_project`,
    LICENSE_TYPE: 'project',
    LICENSE_FAMILY: 'project',
  };
}

const FEATURES: Record<string, 'Y' | 'N'> = {
  rest_offline_extended: 'Y',
  rest_auth_connector: 'Y',
};

export const systemMethods: MethodTable = {
  'server.time': { scope: null, handler: ({ core }) => ok(isoDate(core.clock(), core.tzOffsetMin)) },
  'app.info': { scope: null, handler: ({ core }) => ok(appInfoResult(core)) },
  'feature.get': {
    scope: null,
    handler: ({ params }) => {
      const code = asStr(pick(params, 'CODE'));
      if (!code)
        throw restError(
          400,
          FEATURE_GET_MISSING_CODE_ERROR.error,
          FEATURE_GET_MISSING_CODE_ERROR.description,
        );
      return ok({ value: FEATURES[code] ?? 'N' });
    },
  },
  profile: {
    scope: null,
    handler: ({ core, caller }) => {
      const u = core.state.users.get(caller.userId);
      const b = core.state.bots.get(caller.userId);
      return ok({
        ID: String(caller.userId),
        ADMIN: u?.admin === true,
        NAME: u?.name ?? b?.name ?? '',
        LAST_NAME: u?.lastName ?? b?.lastName ?? '',
        PERSONAL_GENDER: u?.gender ?? b?.gender ?? '',
        TIME_ZONE: u?.timeZone ?? '',
      });
    },
  },
  'user.admin': { scope: null, handler: ({ caller }) => ok(caller.isAdmin) },
};
