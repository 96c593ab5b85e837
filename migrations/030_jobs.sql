-- The run a journal row belongs to (the lease holder's id): one run writes a row per portal,
-- and the dashboard groups them back together.
ALTER TABLE job_runs ADD COLUMN run_id TEXT;

-- The dashboard's "every portal" list and the retention sweep go by time alone.
CREATE INDEX job_runs_started ON job_runs (started_at);

-- A run that takes over an expired lease closes the rows its crashed predecessor left open.
CREATE INDEX job_runs_open ON job_runs (job, status);
