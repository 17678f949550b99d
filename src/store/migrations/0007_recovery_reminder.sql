-- The reminder a started recovery queues for before it completes (auth/account_recovery.c,
-- SECURITY-PROBES P-065): its outbox row, deleted unsent when the recovery ends earlier.
ALTER TABLE recoveries ADD COLUMN reminder_outbox_id BIGINT;
