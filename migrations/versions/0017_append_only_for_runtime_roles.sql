-- The append-only trigger refuses changes from every role but the table's owner and superusers: those could
-- drop the trigger anyway, and compliance tests (and attackers) with superuser rights must be able to tamper
-- so that `audit verify` can be shown to find it. The runtime role stays unable to change events.
CREATE OR REPLACE FUNCTION shopops_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION '% on % is not allowed: the event log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
