import { describe, it } from 'node:test';
import { type AssignedDialog, onOperatorUnavailable } from '../../../src/engine/index.ts';
import { like } from './fixtures.ts';

const base: AssignedDialog = {
  id: 7,
  operatorId: 3,
  accepted: true,
  operatorAnswered: true,
  lastMessageFrom: 'client',
};

const rows: {
  name: string;
  dialog: Partial<AssignedDialog>;
  cause?: 'dismissed' | 'left_queue' | 'offline';
  action: string;
  dialogCase: string;
}[] = [
  {
    name: 'not yet accepted → back to distribution',
    dialog: { accepted: false, operatorAnswered: false, lastMessageFrom: 'client' },
    action: 'redistribute',
    dialogCase: 'not_accepted',
  },
  {
    name: 'not yet accepted, no messages → back to distribution',
    dialog: { accepted: false, operatorAnswered: false, lastMessageFrom: null },
    action: 'redistribute',
    dialogCase: 'not_accepted',
  },
  {
    name: 'operator wrote last and waits for the client → stays',
    dialog: { accepted: true, operatorAnswered: true, lastMessageFrom: 'operator' },
    action: 'stay',
    dialogCase: 'waiting_client',
  },
  {
    name: 'client wrote last, the operator never answered → back to distribution',
    dialog: { accepted: true, operatorAnswered: false, lastMessageFrom: 'client' },
    action: 'redistribute',
    dialogCase: 'client_unanswered',
  },
  {
    name: 'accepted and answered, client wrote again → stays (accepted dialogs keep their operator)',
    dialog: { accepted: true, operatorAnswered: true, lastMessageFrom: 'client' },
    action: 'stay',
    dialogCase: 'accepted',
  },
  {
    name: 'accepted, nobody wrote yet → stays',
    dialog: { accepted: true, operatorAnswered: false, lastMessageFrom: null },
    action: 'stay',
    dialogCase: 'accepted',
  },
  {
    name: 'going offline does not change the answer',
    dialog: { accepted: true, operatorAnswered: true, lastMessageFrom: 'client' },
    cause: 'offline',
    action: 'stay',
    dialogCase: 'accepted',
  },
  {
    name: 'dismissed → everything goes back',
    dialog: { accepted: true, operatorAnswered: true, lastMessageFrom: 'operator' },
    cause: 'dismissed',
    action: 'redistribute',
    dialogCase: 'departed',
  },
  {
    name: 'left the queue → everything goes back',
    dialog: { accepted: true, operatorAnswered: true, lastMessageFrom: 'operator' },
    cause: 'left_queue',
    action: 'redistribute',
    dialogCase: 'departed',
  },
];

describe('onOperatorUnavailable', () => {
  for (const row of rows) {
    it(row.name, () => {
      const out = onOperatorUnavailable({ ...base, ...row.dialog }, row.cause);
      like(out, {
        dialogId: 7,
        action: row.action,
        reason: { rule: row.action, operatorId: 3, dialog: row.dialogCase },
      });
    });
  }
});
