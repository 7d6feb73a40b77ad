-- X7 enforced by the database, not only by the code (issue 18): with the roles of
-- include/sql/roles/ the pipeline's login may append lineage rows, never change or remove them,
-- has no DELETE on attendance or attendance_time, and undoes a run only through
-- roll_back_run_rows, which deletes only rows the run's own load inserted. Every object here
-- belongs to the pipeline schema's owner; the functions run with its rights (SECURITY DEFINER)
-- and a fixed search_path, and nobody may call them until the setup grants it.

-- Which transaction wrote each lineage row (the load's), and where its SIS row was just after the
-- insert (its ctid then, used only by the check below: it changes when the row is updated or the
-- table rewritten). Rows written before this migration keep NULL (no rewrite, no guess); the
-- default applies to new rows only.
ALTER TABLE {schema}.lineage ADD COLUMN insert_xid xid8, ADD COLUMN row_ctid tid;
ALTER TABLE {schema}.lineage ALTER COLUMN insert_xid SET DEFAULT pg_current_xact_id();
COMMENT ON COLUMN {schema}.lineage.insert_xid IS
    'The transaction that inserted the row into the SIS and wrote this lineage row; NULL before migration 0007.';
COMMENT ON COLUMN {schema}.lineage.row_ctid IS
    'Where the SIS row was just after the insert (ctid); only for the check that the same transaction inserted it.';

-- The SIS schema an owner's function works on must hold real SIS tables the caller cannot
-- control: not a temporary schema, not this schema (the pipeline may create tables here), and
-- attendance and attendance_time ordinary tables that the session's user neither owns nor may
-- put triggers on (their triggers and rules would run with the owner's rights). A superuser or
-- a member of this schema's owner (a development setup) could do anything anyway and is only held
-- to the first two. Raises, naming the schema; called by the functions below, not granted to anyone.
CREATE FUNCTION {schema}.require_sis_tables(sis_schema text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    trusted boolean;
    controlled bigint;
BEGIN
    IF sis_schema IS NULL OR sis_schema ~ '^pg_(toast_)?temp' OR sis_schema IN ('pg_catalog', 'information_schema')
       OR NOT EXISTS (SELECT 1 FROM pg_namespace AS n WHERE n.nspname = sis_schema)
       OR (SELECT n.oid FROM pg_namespace AS n WHERE n.nspname = sis_schema) = '{schema}'::regnamespace::oid THEN
        RAISE EXCEPTION 'X7: % is not a SIS schema the pipeline may work on', coalesce(sis_schema, 'NULL')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT r.rolsuper OR pg_has_role(session_user, n.nspowner, 'MEMBER') INTO trusted
    FROM pg_roles AS r, pg_namespace AS n
    WHERE r.rolname = session_user AND n.oid = '{schema}'::regnamespace;
    SELECT count(*) INTO controlled
    FROM (VALUES ('attendance'), ('attendance_time')) AS t (table_name)
    LEFT JOIN pg_class AS c
      ON c.relname = t.table_name AND c.relnamespace = (SELECT n.oid FROM pg_namespace AS n WHERE n.nspname = sis_schema)
    WHERE c.oid IS NULL
       OR c.relkind NOT IN ('r', 'p')
       OR (NOT coalesce(trusted, false)
           AND (pg_has_role(session_user, c.relowner, 'MEMBER') OR has_table_privilege(session_user, c.oid, 'TRIGGER')));
    IF controlled > 0 THEN
        RAISE EXCEPTION 'X7: the attendance tables of schema % are not SIS tables the pipeline may work on', sis_schema
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$function$;

-- A lineage row may only be added by the transaction that inserted the SIS row it names: that
-- row (found by its ctid) has the lineage row's id, was written by the current transaction (its
-- xmin), and its text has the lineage row's md5; the lineage row is not marked rolled back, and
-- its schema holds real SIS tables. So a lineage row can never name a teacher's record, or any
-- row the pipeline did not just insert, nor carry a made-up fingerprint. Checked once per
-- statement, over the statement's new rows (a TID lookup and an md5 each).
CREATE FUNCTION {schema}.check_new_lineage_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    this_transaction xid8 := pg_current_xact_id();
    -- What a row this transaction wrote holds in xmin: the low 32 bits of its id.
    this_xmin xid := (pg_current_xact_id()::text::bigint % 4294967296)::text::xid;
    target record;
    forged bigint := 0;
    bad bigint;
BEGIN
    SELECT count(*) INTO bad
    FROM added_rows AS n
    WHERE n.insert_xid IS DISTINCT FROM this_transaction
       OR n.row_md5 IS NULL
       OR n.row_ctid IS NULL
       OR n.table_name NOT IN ('attendance', 'attendance_time')
       OR n.rolled_back_at IS NOT NULL
       OR n.rollback_run_id IS NOT NULL
       OR n.removed_row IS NOT NULL;
    forged := forged + bad;
    FOR target IN SELECT DISTINCT n.sis_schema, n.table_name FROM added_rows AS n
                  WHERE n.table_name IN ('attendance', 'attendance_time') LOOP
        PERFORM {schema}.require_sis_tables(target.sis_schema);
        EXECUTE format($check$
            SELECT count(*)
            FROM added_rows AS n
            LEFT JOIN %I.%I AS s ON s.ctid = n.row_ctid
            WHERE n.sis_schema = $1 AND n.table_name = $2
              AND (s.id IS DISTINCT FROM n.row_id OR s.xmin IS DISTINCT FROM $3
                   OR md5(s::text) IS DISTINCT FROM n.row_md5)
        $check$, target.sis_schema, target.table_name)
        INTO bad USING target.sis_schema, target.table_name, this_xmin;
        forged := forged + bad;
    END LOOP;
    IF forged > 0 THEN
        RAISE EXCEPTION 'X7: % lineage row(s) refused: a lineage row is written only by the transaction that inserted the row it names, with that row''s md5, and not marked rolled back', forged
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$function$;
CREATE TRIGGER check_new_lineage_rows AFTER INSERT ON {schema}.lineage
    REFERENCING NEW TABLE AS added_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.check_new_lineage_rows();

-- A load log row says which columns the SIS tables had (the rollback compares rows on them after
-- a column was added): only what the catalog says now, of real SIS tables.
CREATE FUNCTION {schema}.check_new_load_log_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    target record;
BEGIN
    FOR target IN SELECT n.sis_schema, n.sis_columns FROM added_rows AS n LOOP
        PERFORM {schema}.require_sis_tables(target.sis_schema);
        IF target.sis_columns IS DISTINCT FROM (
            SELECT jsonb_object_agg(t.table_name, (
                SELECT jsonb_agg(a.attname ORDER BY a.attnum)
                FROM pg_attribute AS a
                WHERE a.attrelid = format('%I.%I', target.sis_schema, t.table_name)::regclass
                  AND a.attnum > 0 AND NOT a.attisdropped
            ))
            FROM (VALUES ('attendance'), ('attendance_time')) AS t (table_name)
        ) THEN
            RAISE EXCEPTION 'X7: a load log row must name the SIS tables'' columns as they are'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    RETURN NULL;
END
$function$;
CREATE TRIGGER check_new_load_log_rows AFTER INSERT ON {schema}.load_log
    REFERENCING NEW TABLE AS added_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.check_new_load_log_rows();

-- The load's and the rollback's hold on the SIS tables: other writers wait, readers go on. LOCK
-- in this mode needs UPDATE, DELETE or TRUNCATE, which the pipeline's login does not have.
CREATE FUNCTION {schema}.lock_sis_tables(sis_schema text, with_attendance_time boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
BEGIN
    PERFORM {schema}.require_sis_tables(sis_schema);
    IF with_attendance_time THEN
        EXECUTE format('LOCK TABLE %I.attendance, %I.attendance_time IN SHARE ROW EXCLUSIVE MODE', sis_schema, sis_schema);
    ELSE
        EXECUTE format('LOCK TABLE %I.attendance IN SHARE ROW EXCLUSIVE MODE', sis_schema);
    END IF;
END
$function$;

-- X7: delete exactly the rows a run inserted, or nothing. Under the tables' locks, every lineage
-- row of the run (not yet rolled back; each names a row its load inserted, as checked when it was
-- written) must name exactly one SIS row, still as inserted (its md5), and no row the run did not
-- insert may refer to one of them; otherwise nothing is deleted. Rows an older version loaded
-- (lineage without md5: before migration 0004; without transaction: before this one, when nothing
-- but the code kept the lineage true) are refused unless allow_rows_from_older_versions, and are
-- then compared on what their lineage knows. A table that gained columns since the run's load
-- (ALTER TABLE ... ADD COLUMN) is compared on the columns it had then (load_log.sis_columns); one
-- that lost a column is refused, naming it. The deleted rows are kept in their lineage rows
-- (removed_row) with the rollback's run id. Returns how many rows it deleted per table.
CREATE FUNCTION {schema}.roll_back_run_rows(
    run_dag_id text, run_run_id text, rollback_run_id text, allow_rows_from_older_versions boolean
) RETURNS TABLE (deleted_attendance bigint, deleted_attendance_time bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    schemas text[];
    sis text;
    expected_attendance bigint;
    expected_attendance_time bigint;
    older bigint;
    problems bigint;
    marked bigint;
    sis_table text;
    at_load jsonb[];
    recorded text[];
    now_columns text[];
    row_text text;
    attendance_row text;
    attendance_time_row text;
BEGIN
    SELECT array_agg(DISTINCT l.sis_schema),
           count(*) FILTER (WHERE l.table_name = 'attendance'),
           count(*) FILTER (WHERE l.table_name = 'attendance_time'),
           count(*) FILTER (WHERE l.row_md5 IS NULL OR l.insert_xid IS NULL)
    INTO schemas, expected_attendance, expected_attendance_time, older
    FROM {schema}.lineage AS l
    WHERE l.dag_id = run_dag_id AND l.run_id = run_run_id AND l.rolled_back_at IS NULL;
    IF schemas IS NULL THEN
        deleted_attendance := 0;
        deleted_attendance_time := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    IF cardinality(schemas) > 1 THEN
        RAISE EXCEPTION 'X7: run % has lineage rows in several SIS schemas (%); nothing was deleted', run_run_id, schemas;
    END IF;
    IF older > 0 AND NOT allow_rows_from_older_versions THEN
        RAISE EXCEPTION 'X7: run % has % row(s) loaded by an older version of attendance-bridge, whose lineage the database did not check; nothing was deleted', run_run_id, older;
    END IF;
    sis := schemas[1];
    PERFORM {schema}.require_sis_tables(sis);
    EXECUTE format('LOCK TABLE %I.attendance, %I.attendance_time IN SHARE ROW EXCLUSIVE MODE', sis, sis);

    -- What each row's md5 is over: the whole row, or the columns the table had at the run's load.
    FOREACH sis_table IN ARRAY ARRAY['attendance', 'attendance_time'] LOOP
        SELECT array_agg(DISTINCT g.sis_columns -> sis_table) INTO at_load
        FROM {schema}.load_log AS g
        WHERE g.dag_id = run_dag_id AND g.run_id = run_run_id AND g.sis_columns ? sis_table;
        SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO now_columns
        FROM pg_attribute AS a
        WHERE a.attrelid = format('%I.%I', sis, sis_table)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
        row_text := CASE sis_table WHEN 'attendance' THEN 'a' ELSE 't' END;
        IF at_load IS NOT NULL THEN
            IF cardinality(at_load) > 1 THEN
                RAISE EXCEPTION 'X7: the loads of run % saw the table %.% with different columns; nothing was deleted',
                    run_run_id, sis, sis_table;
            END IF;
            SELECT array_agg(e.column_name ORDER BY e.ordinal) INTO recorded
            FROM jsonb_array_elements_text(at_load[1]) WITH ORDINALITY AS e (column_name, ordinal);
            IF NOT recorded <@ now_columns THEN
                RAISE EXCEPTION 'X7: the table %.% lost column(s) % since run % loaded; nothing was deleted',
                    sis, sis_table, array(SELECT unnest(recorded) EXCEPT SELECT unnest(now_columns)), run_run_id;
            END IF;
            IF recorded <> now_columns THEN
                SELECT 'ROW(' || string_agg(format('%I.%I', row_text, e.column_name), ', ' ORDER BY e.ordinal) || ')'
                INTO row_text
                FROM unnest(recorded) WITH ORDINALITY AS e (column_name, ordinal);
            END IF;
        END IF;
        IF sis_table = 'attendance' THEN
            attendance_row := row_text;
        ELSE
            attendance_time_row := row_text;
        END IF;
    END LOOP;

    EXECUTE format($check$
        WITH run_rows AS (
            SELECT l.table_name, l.row_id, l.attendance_id, l.school_number, l.source_attendance_id, l.row_md5
            FROM {schema}.lineage AS l
            WHERE l.dag_id = $1 AND l.run_id = $2 AND l.rolled_back_at IS NULL
        ),
        records AS (
            SELECT r.row_id
            FROM run_rows AS r
            LEFT JOIN %1$I.attendance AS a ON a.id = r.row_id
            WHERE r.table_name = 'attendance'
            GROUP BY r.row_id
            HAVING count(a.id) <> 1
                OR bool_or(CASE
                    WHEN r.row_md5 IS NULL
                        THEN a.schoolid IS DISTINCT FROM r.school_number
                            OR a.parent_attendanceid IS DISTINCT FROM r.source_attendance_id
                    ELSE md5(%2$s::text) IS DISTINCT FROM r.row_md5
                END)
        ),
        times AS (
            SELECT r.row_id
            FROM run_rows AS r
            LEFT JOIN %1$I.attendance_time AS t ON t.id = r.row_id
            WHERE r.table_name = 'attendance_time'
            GROUP BY r.row_id
            HAVING count(t.id) <> 1
                OR bool_or(CASE
                    WHEN r.row_md5 IS NULL THEN t.attendanceid IS DISTINCT FROM r.attendance_id
                    ELSE md5(%3$s::text) IS DISTINCT FROM r.row_md5
                END)
        ),
        other_times AS (
            SELECT t.id
            FROM run_rows AS r
            JOIN %1$I.attendance_time AS t ON t.attendanceid = r.row_id
            WHERE r.table_name = 'attendance'
              AND NOT EXISTS (SELECT 1 FROM run_rows AS x WHERE x.table_name = 'attendance_time' AND x.row_id = t.id)
        ),
        built_on AS (
            SELECT a.id
            FROM run_rows AS r
            JOIN %1$I.attendance AS a ON a.parent_attendanceid = r.row_id
            WHERE r.table_name = 'attendance'
              AND NOT EXISTS (SELECT 1 FROM run_rows AS x WHERE x.table_name = 'attendance' AND x.row_id = a.id)
        )
        SELECT (SELECT count(*) FROM records) + (SELECT count(*) FROM times)
            + (SELECT count(*) FROM other_times) + (SELECT count(*) FROM built_on)
    $check$, sis, attendance_row, attendance_time_row) INTO problems USING run_dag_id, run_run_id;
    IF problems > 0 THEN
        RAISE EXCEPTION 'X7: run % has % row(s) that are no longer as it inserted them, or that rows it did not insert refer to; nothing was deleted', run_run_id, problems;
    END IF;

    EXECUTE format($delete$
        WITH deleted AS (
            DELETE FROM %1$I.attendance_time AS t
            USING {schema}.lineage AS l
            WHERE l.dag_id = $1 AND l.run_id = $2 AND l.table_name = 'attendance_time' AND l.rolled_back_at IS NULL
              AND t.id = l.row_id
            RETURNING t.id, to_jsonb(t.*) AS removed_row
        ),
        marking AS (
            UPDATE {schema}.lineage AS l
            SET rolled_back_at = now(), rollback_run_id = $3, removed_row = d.removed_row
            FROM deleted AS d
            WHERE l.dag_id = $1 AND l.run_id = $2 AND l.table_name = 'attendance_time' AND l.rolled_back_at IS NULL
              AND l.row_id = d.id
            RETURNING l.row_id
        )
        SELECT (SELECT count(*) FROM deleted), (SELECT count(*) FROM marking)
    $delete$, sis) INTO deleted_attendance_time, marked USING run_dag_id, run_run_id, rollback_run_id;
    IF NOT (deleted_attendance_time = marked AND marked = expected_attendance_time) THEN
        RAISE EXCEPTION 'X7: run %: % attendance_time rows deleted and % marked, but the run has %; nothing was deleted',
            run_run_id, deleted_attendance_time, marked, expected_attendance_time;
    END IF;

    EXECUTE format($delete$
        WITH deleted AS (
            DELETE FROM %1$I.attendance AS a
            USING {schema}.lineage AS l
            WHERE l.dag_id = $1 AND l.run_id = $2 AND l.table_name = 'attendance' AND l.rolled_back_at IS NULL
              AND a.id = l.row_id
            RETURNING a.id, to_jsonb(a.*) AS removed_row
        ),
        marking AS (
            UPDATE {schema}.lineage AS l
            SET rolled_back_at = now(), rollback_run_id = $3, removed_row = d.removed_row
            FROM deleted AS d
            WHERE l.dag_id = $1 AND l.run_id = $2 AND l.table_name = 'attendance' AND l.rolled_back_at IS NULL
              AND l.row_id = d.id
            RETURNING l.row_id
        )
        SELECT (SELECT count(*) FROM deleted), (SELECT count(*) FROM marking)
    $delete$, sis) INTO deleted_attendance, marked USING run_dag_id, run_run_id, rollback_run_id;
    IF NOT (deleted_attendance = marked AND marked = expected_attendance) THEN
        RAISE EXCEPTION 'X7: run %: % attendance rows deleted and % marked, but the run has %; nothing was deleted',
            run_run_id, deleted_attendance, marked, expected_attendance;
    END IF;
    RETURN NEXT;
END
$function$;

-- Functions are callable by everyone unless revoked; the setup grants them to the pipeline's role.
REVOKE ALL ON FUNCTION {schema}.require_sis_tables(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.check_new_lineage_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.check_new_load_log_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.lock_sis_tables(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.roll_back_run_rows(text, text, text, boolean) FROM PUBLIC;
