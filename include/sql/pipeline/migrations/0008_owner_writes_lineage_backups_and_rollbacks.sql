-- X6, X7 held by the database whatever else the pipeline's login was granted (issue 30). Under
-- 0007 the login wrote the lineage itself, and a trigger accepted a lineage row when the row it
-- names carried the transaction's xmin: an UPDATE sets that too, so a login that could UPDATE
-- attendance through any other role could name a teacher's record, and the rollback deleted it.
-- From here on the login writes no lineage, no backup and no rollback mark at all:
--   * insert_run_records: the load's rows go into attendance and attendance_time through this
--     function, which writes each row's lineage from its own INSERT's RETURNING (the login has
--     no INSERT on the SIS tables any more, and none on the lineage);
--   * take_backup / held_backup: the snapshot tables and their manifest belong to the owner (the
--     login can no longer drop or change a backup: no CREATE on this schema, no write on backup);
--   * roll_back_run_rows marks the run rolled back in run_log itself, in the same transaction as
--     its deletes, so the run log can never say "succeeded" while the rows are gone, nor
--     "rolled back" while they are there.
-- Statement triggers refuse any write to the lineage and the backup tables that does not come
-- from the owner's functions (or a superuser, or a member of the owner role: a development setup),
-- and a row trigger refuses a rollback mark in run_log set or changed by anyone else.
-- Every function is the owner's, SECURITY DEFINER where it needs the owner's rights, with a
-- fixed search_path; nobody may call them until the setup grants it (docs/safety.md).

-- Whether the current role may write the pipeline's records of what happened (lineage, backups,
-- rollback marks): a superuser, or the schema's owner (inside its SECURITY DEFINER functions,
-- current_user is the owner). SECURITY INVOKER, so it sees who is really writing; everyone may
-- call it (the triggers below run it as whoever writes), and it only reads the catalog.
CREATE FUNCTION {schema}.writer_is_owner() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $function$
    SELECT coalesce(bool_or(r.rolsuper OR pg_has_role(current_user, n.nspowner, 'MEMBER')), false)
    FROM pg_roles AS r, pg_namespace AS n
    WHERE r.rolname = current_user AND n.oid = '{schema}'::regnamespace
$function$;

CREATE FUNCTION {schema}.refuse_writes_but_the_owners() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $function$
BEGIN
    IF NOT {schema}.writer_is_owner() THEN
        RAISE EXCEPTION 'X7: % on %.% refused for role %: only the pipeline schema''s own functions write this table (the load, the backup and the rollback)',
            TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$function$;
CREATE TRIGGER refuse_writes_but_the_owners BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema}.lineage
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_writes_but_the_owners();
CREATE TRIGGER refuse_writes_but_the_owners BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema}.backup
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_writes_but_the_owners();
CREATE TRIGGER refuse_writes_but_the_owners BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema}.backup_attendance
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_writes_but_the_owners();
CREATE TRIGGER refuse_writes_but_the_owners BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema}.backup_attendance_time
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_writes_but_the_owners();

-- A run is marked rolled back only by roll_back_run_rows, in the transaction that deleted its
-- rows; a mark once set stays (a rolled-back run cannot be started again under its id).
CREATE FUNCTION {schema}.guard_rollback_mark() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $function$
BEGIN
    IF {schema}.writer_is_owner() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'rolled_back' OR NEW.rolled_back_at IS NOT NULL OR NEW.rolled_back_by IS NOT NULL
           OR NEW.rollback_run_id IS NOT NULL OR NEW.rollback_counts IS NOT NULL THEN
            RAISE EXCEPTION 'X7: run % cannot be recorded as rolled back by role %: only the rollback function marks a run rolled back, when it deletes its rows',
                NEW.run_id, current_user USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF (OLD.status = 'rolled_back') IS DISTINCT FROM (NEW.status = 'rolled_back')
          OR (OLD.rolled_back_at, OLD.rolled_back_by, OLD.rollback_run_id, OLD.rollback_counts)
             IS DISTINCT FROM (NEW.rolled_back_at, NEW.rolled_back_by, NEW.rollback_run_id, NEW.rollback_counts) THEN
        RAISE EXCEPTION 'X7: run % of % was % and role % may not change that: only the rollback function marks a run rolled back, and a rolled-back run stays so (start a new run)',
            OLD.run_id, OLD.dag_id, CASE WHEN OLD.status = 'rolled_back' THEN 'rolled back' ELSE 'not rolled back' END,
            current_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$function$;
CREATE TRIGGER guard_rollback_mark BEFORE INSERT OR UPDATE ON {schema}.run_log
    FOR EACH ROW EXECUTE FUNCTION {schema}.guard_rollback_mark();

-- A run may keep several backups: a run cleared after its load landed (a backfill that
-- reprocesses it, say) loads again after a new backup, and the snapshot taken before its first
-- load must not be replaced by one taken after it. The run's backup is its latest; the earlier
-- ones stay, each named by its manifest.
ALTER TABLE {schema}.backup DROP CONSTRAINT backup_pkey;

-- One record the load asks insert_run_records to insert (the columns of the load's temporary
-- table pg_temp.bridge_records, in its order and types).
CREATE TYPE {schema}.new_record AS (
    row_number bigint,
    studentid bigint,
    schoolid bigint,
    yearid integer,
    att_date date,
    calendar_dayid bigint,
    attendance_codeid bigint,
    att_mode_code text,
    ccid bigint,
    periodid bigint,
    parent_attendanceid bigint,
    time_in integer,
    time_out integer,
    total_minutes integer
);

-- X1, X4, X6, X7, M3: insert the run's records into attendance (ids in the records' order), an
-- attendance_time row for each new Daily record (matched by its full key, unique among a run's
-- records), and for every row it inserted a lineage row made from its own INSERT's RETURNING (id,
-- md5 of the row's text, ctid), so a lineage row can only ever name a row this function inserted.
-- Which records to insert is the load's decision (records whose key has no row yet, whose source
-- is unchanged: include/sql/load/insert_attendance.sql), under the locks it holds. Refused: a
-- record of another school than the run's, or a run without a verified backup of that school and
-- schema covering every record's day (X6). Returns the counts, which the load checks.
CREATE FUNCTION {schema}.insert_run_records(
    target_schema text, run_dag_id text, run_run_id text, run_school bigint, daily_code text,
    new_records {schema}.new_record[]
) RETURNS TABLE (
    inserted_attendance bigint, inserted_daily bigint, attendance_lineage bigint,
    inserted_attendance_time bigint, attendance_time_lineage bigint
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    first_day date;
    last_day date;
    other_school bigint;
BEGIN
    PERFORM {schema}.require_sis_tables(target_schema);
    -- The function's own temporary tables (a table of these names the caller made stops it here:
    -- the owner cannot drop it).
    DROP TABLE IF EXISTS pg_temp.bridge_load_records, pg_temp.bridge_load_inserted;
    CREATE TEMPORARY TABLE bridge_load_records ON COMMIT DROP AS SELECT * FROM unnest(new_records);
    CREATE TEMPORARY TABLE bridge_load_inserted (
        attendance_id bigint PRIMARY KEY,
        studentid bigint NOT NULL,
        att_date date NOT NULL,
        att_mode_code text NOT NULL,
        ccid bigint NOT NULL,
        periodid bigint NOT NULL,
        parent_attendanceid bigint NOT NULL
    ) ON COMMIT DROP;
    EXECUTE 'ANALYZE pg_temp.bridge_load_records';
    EXECUTE 'SELECT min(r.att_date), max(r.att_date), count(*) FILTER (WHERE r.schoolid IS DISTINCT FROM $1)
             FROM pg_temp.bridge_load_records AS r'
        INTO first_day, last_day, other_school USING run_school;
    IF other_school > 0 THEN
        RAISE EXCEPTION 'X7: % record(s) of run % are not of its school %; nothing was inserted', other_school, run_run_id, run_school
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF first_day IS NOT NULL AND NOT EXISTS (
        SELECT 1
        FROM (
            SELECT *
            FROM {schema}.backup AS latest
            WHERE latest.dag_id = run_dag_id AND latest.run_id = run_run_id
            ORDER BY latest.backup_id DESC
            LIMIT 1
        ) AS b
        WHERE b.school_number = run_school
          AND b.sis_schema = target_schema AND b.verified_at IS NOT NULL
          AND b.attendance_table IS NOT NULL AND b.start_date <= first_day AND b.end_date >= last_day
    ) THEN
        RAISE EXCEPTION 'X6: run % has no verified backup of school % in schema % covering % to %; nothing was inserted',
            run_run_id, run_school, target_schema, first_day, last_day USING ERRCODE = 'insufficient_privilege';
    END IF;

    EXECUTE format($insert$
        WITH inserted AS (
            INSERT INTO %1$I.attendance AS new_row (
                studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code,
                ccid, periodid, parent_attendanceid
            )
            SELECT t.studentid, t.schoolid, t.yearid, t.att_date, t.calendar_dayid, t.attendance_codeid,
                t.att_mode_code, t.ccid, t.periodid, t.parent_attendanceid
            FROM pg_temp.bridge_load_records AS t
            ORDER BY t.row_number
            RETURNING id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid,
                md5(new_row::text) AS row_md5, new_row.ctid AS row_ctid
        ),
        new_daily AS (
            INSERT INTO pg_temp.bridge_load_inserted (
                attendance_id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid
            )
            SELECT id, studentid, att_date, att_mode_code, ccid, periodid, parent_attendanceid
            FROM inserted
            WHERE att_mode_code = $4
            RETURNING attendance_id
        ),
        lineage AS (
            INSERT INTO {schema}.lineage (
                dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id,
                studentid, att_date, row_md5, row_ctid
            )
            SELECT $1, $2, $3, $5, 'attendance', id, id, parent_attendanceid, studentid, att_date, row_md5, row_ctid
            FROM inserted
            RETURNING row_id
        )
        SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM new_daily), (SELECT count(*) FROM lineage)
    $insert$, target_schema)
    INTO inserted_attendance, inserted_daily, attendance_lineage
    USING run_dag_id, run_run_id, run_school, daily_code, target_schema;

    EXECUTE 'ANALYZE pg_temp.bridge_load_inserted';
    EXECUTE format($insert$
        WITH times AS (
            INSERT INTO %1$I.attendance_time AS inserted_time (attendanceid, time_in, time_out, total_minutes)
            SELECT n.attendance_id, t.time_in, t.time_out, t.total_minutes
            FROM pg_temp.bridge_load_inserted AS n
            JOIN pg_temp.bridge_load_records AS t
              ON t.studentid = n.studentid
             AND t.att_date = n.att_date
             AND t.att_mode_code = n.att_mode_code
             AND t.ccid = n.ccid
             AND t.periodid = n.periodid
            ORDER BY n.attendance_id
            RETURNING inserted_time.id, inserted_time.attendanceid, md5(inserted_time::text) AS row_md5,
                inserted_time.ctid AS row_ctid
        ),
        time_lineage AS (
            INSERT INTO {schema}.lineage (
                dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, source_attendance_id,
                studentid, att_date, row_md5, row_ctid
            )
            SELECT $1, $2, $3, $4, 'attendance_time', x.id, x.attendanceid, n.parent_attendanceid, n.studentid,
                n.att_date, x.row_md5, x.row_ctid
            FROM times AS x
            JOIN pg_temp.bridge_load_inserted AS n ON n.attendance_id = x.attendanceid
            RETURNING row_id
        )
        SELECT (SELECT count(*) FROM times), (SELECT count(*) FROM time_lineage)
    $insert$, target_schema)
    INTO inserted_attendance_time, attendance_time_lineage
    USING run_dag_id, run_run_id, run_school, target_schema;
    DROP TABLE pg_temp.bridge_load_records, pg_temp.bridge_load_inserted;
    RETURN NEXT;
END
$function$;

-- X6: the run's verified snapshot of the school's attendance in [first_day, last_day] (all
-- modes) and of their attendance_time rows, as two tables of this schema created like the SIS
-- tables (columns this project does not know survive) and owned by the owner, with its manifest.
-- Counts and a checksum over every row's text are computed from the SIS tables and from the
-- snapshot in the caller's REPEATABLE READ transaction; the manifest is written only when they
-- agree. A retried backup replaces its own run's earlier one while the run has not loaded; once
-- it has, the earlier snapshots stay (they hold the SIS before that load) and the new one is added. Returns the backup's number, its tables, both sides' counts and checksums, and when it
-- was taken and verified (NULL when the two sides disagree and no manifest was written).
CREATE FUNCTION {schema}.take_backup(
    target_schema text, run_dag_id text, run_run_id text, run_school bigint, first_day date, last_day date
) RETURNS TABLE (
    backup_id bigint, attendance_table text, attendance_time_table text, source jsonb, copied jsonb,
    taken_at timestamptz, verified_at timestamptz
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    earlier record;
    checksum_of text := $sql$
        SELECT jsonb_build_object(
            'attendance_rows', attendance.row_count,
            'attendance_time_rows', attendance_time.row_count,
            'checksum', md5(concat_ws(':', attendance.row_count, attendance.hash_sum,
                                      attendance_time.row_count, attendance_time.hash_sum)))
        FROM (
            SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(a::text), 16))::bit(64)::bigint), 0) AS hash_sum
            FROM %1$s AS a %3$s
        ) AS attendance
        CROSS JOIN (
            SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0) AS hash_sum
            FROM %2$s AS t %4$s
        ) AS attendance_time
    $sql$;
    school_rows text := 'WHERE a.schoolid = $1 AND a.att_date BETWEEN $2 AND $3';
BEGIN
    PERFORM {schema}.require_sis_tables(target_schema);
    IF current_setting('transaction_isolation') NOT IN ('repeatable read', 'serializable') THEN
        RAISE EXCEPTION 'X6: a backup is taken in a REPEATABLE READ transaction, so that its copy and its checksums read the same rows';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM {schema}.load_log AS g WHERE g.dag_id = run_dag_id AND g.run_id = run_run_id) THEN
        FOR earlier IN
            SELECT b.attendance_table, b.attendance_time_table
            FROM {schema}.backup AS b
            WHERE b.dag_id = run_dag_id AND b.run_id = run_run_id AND b.attendance_table IS NOT NULL
        LOOP
            EXECUTE format('DROP TABLE IF EXISTS {schema}.%I, {schema}.%I',
                           earlier.attendance_table, earlier.attendance_time_table);
        END LOOP;
        DELETE FROM {schema}.backup AS b WHERE b.dag_id = run_dag_id AND b.run_id = run_run_id;
        -- A first attempt made before migration 0005 kept its rows in the shared jsonb tables.
        DELETE FROM {schema}.backup_attendance AS b WHERE b.dag_id = run_dag_id AND b.run_id = run_run_id;
        DELETE FROM {schema}.backup_attendance_time AS b WHERE b.dag_id = run_dag_id AND b.run_id = run_run_id;
    END IF;

    backup_id := nextval(pg_get_serial_sequence('{schema}.backup', 'backup_id'));
    attendance_table := format('backup_%s_attendance', backup_id);
    attendance_time_table := format('backup_%s_attendance_time', backup_id);
    EXECUTE format('CREATE TABLE {schema}.%I (LIKE %I.attendance)', attendance_table, target_schema);
    EXECUTE format('CREATE TABLE {schema}.%I (LIKE %I.attendance_time)', attendance_time_table, target_schema);
    EXECUTE format('INSERT INTO {schema}.%I SELECT a.* FROM %I.attendance AS a ' || school_rows,
                   attendance_table, target_schema)
        USING run_school, first_day, last_day;
    EXECUTE format('INSERT INTO {schema}.%I SELECT t.* FROM %I.attendance_time AS t
                    WHERE t.attendanceid IN (SELECT a.id FROM %I.attendance AS a ' || school_rows || ')',
                   attendance_time_table, target_schema, target_schema)
        USING run_school, first_day, last_day;
    EXECUTE format('COMMENT ON TABLE {schema}.%I IS %L', attendance_table, format(
        'X6: snapshot of the attendance rows of school %s from %s to %s, taken before run %s loaded; its manifest is the backup row naming this table.',
        run_school, first_day, last_day, run_run_id));
    EXECUTE format('COMMENT ON TABLE {schema}.%I IS %L', attendance_time_table, format(
        'X6: snapshot of the attendance_time rows of school %s from %s to %s, taken before run %s loaded; its manifest is the backup row naming this table.',
        run_school, first_day, last_day, run_run_id));

    EXECUTE format(checksum_of,
        format('%I.attendance', target_schema), format('%I.attendance_time', target_schema), school_rows,
        format('WHERE t.attendanceid IN (SELECT a.id FROM %I.attendance AS a %s)', target_schema, school_rows))
        INTO source USING run_school, first_day, last_day;
    EXECUTE format(checksum_of,
        format('{schema}.%I', attendance_table), format('{schema}.%I', attendance_time_table), '', '')
        INTO copied;
    taken_at := now();
    IF copied = source THEN
        verified_at := clock_timestamp();
        INSERT INTO {schema}.backup (
            backup_id, dag_id, run_id, sis_schema, school_number, start_date, end_date,
            attendance_table, attendance_time_table, attendance_rows, attendance_time_rows, checksum, taken_at, verified_at
        )
        VALUES (
            backup_id, run_dag_id, run_run_id, target_schema, run_school, first_day, last_day,
            attendance_table, attendance_time_table, (source ->> 'attendance_rows')::bigint,
            (source ->> 'attendance_time_rows')::bigint, source ->> 'checksum', taken_at, verified_at
        );
    END IF;
    RETURN NEXT;
END
$function$;

-- X6: what the snapshot tables of a run's latest manifest hold now (counts and checksum, as take_backup
-- computed them), for the load's check that its backup is still as verified. NULL when the
-- run has no manifest with snapshot tables, or its tables are gone.
CREATE FUNCTION {schema}.held_backup(run_dag_id text, run_run_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    tables record;
    held jsonb;
BEGIN
    SELECT b.attendance_table, b.attendance_time_table INTO tables
    FROM {schema}.backup AS b
    WHERE b.dag_id = run_dag_id AND b.run_id = run_run_id
    ORDER BY b.backup_id DESC
    LIMIT 1;
    IF NOT FOUND
       OR to_regclass(format('{schema}.%I', tables.attendance_table)) IS NULL
       OR to_regclass(format('{schema}.%I', tables.attendance_time_table)) IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format($sql$
        SELECT jsonb_build_object(
            'attendance_rows', attendance.row_count,
            'attendance_time_rows', attendance_time.row_count,
            'checksum', md5(concat_ws(':', attendance.row_count, attendance.hash_sum,
                                      attendance_time.row_count, attendance_time.hash_sum)))
        FROM (
            SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(b::text), 16))::bit(64)::bigint), 0) AS hash_sum
            FROM {schema}.%I AS b
        ) AS attendance
        CROSS JOIN (
            SELECT count(*) AS row_count, coalesce(sum(('x' || left(md5(b::text), 16))::bit(64)::bigint), 0) AS hash_sum
            FROM {schema}.%I AS b
        ) AS attendance_time
    $sql$, tables.attendance_table, tables.attendance_time_table) INTO held;
    RETURN held;
END
$function$;

-- X7: roll_back_run_rows now also marks the sync run rolled back (who asked, which rollback run,
-- what it deleted) in the transaction of its deletes, and refuses a run whose run log does not
-- say it finished. Its 0007 form, which left the marking to the caller, becomes delete_run_rows,
-- which only this function calls (nobody is granted it).
ALTER FUNCTION {schema}.roll_back_run_rows(text, text, text, boolean) RENAME TO delete_run_rows;
REVOKE ALL ON FUNCTION {schema}.delete_run_rows(text, text, text, boolean) FROM PUBLIC;
CREATE FUNCTION {schema}.roll_back_run_rows(
    run_dag_id text, run_run_id text, rollback_run_id text, allow_rows_from_older_versions boolean,
    rolled_back_by text
) RETURNS TABLE (deleted_attendance bigint, deleted_attendance_time bigint, rolled_back_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    logged_status text;
BEGIN
    SELECT r.status INTO logged_status
    FROM {schema}.run_log AS r
    WHERE r.dag_id = run_dag_id AND r.run_id = run_run_id
    FOR UPDATE;
    IF logged_status IS NULL OR logged_status NOT IN ('succeeded', 'failed') THEN
        RAISE EXCEPTION 'X7: run % of % is %; only a run the run log says has finished is rolled back; nothing was deleted',
            run_run_id, run_dag_id, coalesce('recorded as ' || logged_status, 'not in the run log')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT d.deleted_attendance, d.deleted_attendance_time
    INTO deleted_attendance, deleted_attendance_time
    FROM {schema}.delete_run_rows(run_dag_id, run_run_id, rollback_run_id, allow_rows_from_older_versions) AS d;
    IF deleted_attendance + deleted_attendance_time = 0 THEN
        RAISE EXCEPTION 'X7: run % of % has no rows in the SIS to delete; nothing was marked', run_run_id, run_dag_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE {schema}.run_log AS r
    SET status = 'rolled_back',
        rolled_back_at = now(),
        rolled_back_by = roll_back_run_rows.rolled_back_by,
        rollback_run_id = roll_back_run_rows.rollback_run_id,
        rollback_counts = jsonb_build_object(
            'attendance', deleted_attendance, 'attendance_time', deleted_attendance_time)
    WHERE r.dag_id = run_dag_id AND r.run_id = run_run_id
    RETURNING r.rolled_back_at INTO roll_back_run_rows.rolled_back_at;
    RETURN NEXT;
END
$function$;

REVOKE ALL ON FUNCTION {schema}.refuse_writes_but_the_owners() FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.guard_rollback_mark() FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.insert_run_records(text, text, text, bigint, text, {schema}.new_record[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.take_backup(text, text, text, bigint, date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.held_backup(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.roll_back_run_rows(text, text, text, boolean, text) FROM PUBLIC;
