-- Dialogs the portal will not show (issue 22, item 3). imopenlines.dialog.get answers ACCESS_ERROR
-- for "Dialog not found or no access to it" (imopenlines-dialog-get.md): that alone never closes
-- or forgets a dialog. The register marks it unreadable, reads it again with a growing pause, and
-- the dashboard lists it; a successful read clears the mark.
ALTER TABLE ol_dialogs ADD COLUMN unreadable_since INTEGER;                 -- first refused read of the streak (unix ms)
ALTER TABLE ol_dialogs ADD COLUMN unreadable_checks INTEGER NOT NULL DEFAULT 0; -- refused reads in a row
