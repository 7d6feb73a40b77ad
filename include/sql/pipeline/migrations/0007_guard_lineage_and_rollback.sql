-- X7 enforced by the database, not only by the code (issue 18): with the roles of
-- include/sql/roles/ the pipeline's login may append lineage rows, never change or remove them,
-- has no DELETE on attendance or attendance_time, and undoes a run only through
-- roll_back_run_rows, which deletes only rows the run's own load inserted. Every object here
-- belongs to the pipeline schema's owner; the functions run with its rights (SECURITY DEFINER)
-- and a fixed search_path, and nobody may call them until the setup grants it.

-- Which transaction wrote each lineage row: its load's, whose id every row that load inserted
-- carries as xmin. Rows written before this migration keep NULL (no rewrite, no guess); the
-- default applies to new rows only.
ALTER TABLE {schema}.lineage ADD COLUMN insert_xid xid8;
ALTER TABLE {schema}.lineage ALTER COLUMN insert_xid SET DEFAULT pg_current_xact_id();
COMMENT ON COLUMN {schema}.lineage.insert_xid IS
    'The transaction that inserted the row into the SIS and this lineage row (the SIS row''s xmin is its low 32 bits); NULL before migration 0007.';

-- A lineage row may only be added by the transaction that inserted the SIS row it names, as
-- inserted: its insert_xid is the current transaction, it has the row's md5, and it is not
-- marked rolled back. Checked once per statement, over the statement's new rows.
CREATE FUNCTION {schema}.check_new_lineage_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    forged bigint;
BEGIN
    SELECT count(*) INTO forged
    FROM added_rows AS n
    WHERE n.insert_xid IS DISTINCT FROM pg_current_xact_id()
       OR n.row_md5 IS NULL
       OR n.rolled_back_at IS NOT NULL
       OR n.rollback_run_id IS NOT NULL
       OR n.removed_row IS NOT NULL;
    IF forged > 0 THEN
        RAISE EXCEPTION 'X7: % lineage row(s) refused: a lineage row is written only by the load that inserts its row, in the same transaction, with the row''s md5 and not marked rolled back', forged
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$function$;
CREATE TRIGGER check_new_lineage_rows AFTER INSERT ON {schema}.lineage
    REFERENCING NEW TABLE AS added_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.check_new_lineage_rows();

-- The load's and the rollback's hold on the SIS tables: other writers wait, readers go on. LOCK
-- in this mode needs UPDATE, DELETE or TRUNCATE, which the pipeline's login does not have.
CREATE FUNCTION {schema}.lock_sis_tables(sis_schema text, with_attendance_time boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
BEGIN
    IF with_attendance_time THEN
        EXECUTE format('LOCK TABLE %I.attendance, %I.attendance_time IN SHARE ROW EXCLUSIVE MODE', sis_schema, sis_schema);
    ELSE
        EXECUTE format('LOCK TABLE %I.attendance IN SHARE ROW EXCLUSIVE MODE', sis_schema);
    END IF;
END
$function$;

-- X7: delete exactly the rows a run inserted, or nothing. Under the tables' locks, every lineage
-- row of the run (not yet rolled back) must name exactly one SIS row, still as inserted (its md5),
-- still the one the run's load wrote (its xmin is the load's transaction), and no row the run did
-- not insert may refer to one of them; otherwise nothing is deleted. Rows an older version loaded
-- (lineage without md5: before migration 0004; without transaction: before this one, when nothing
-- but the code kept the lineage true) are refused unless allow_rows_from_older_versions, and are
-- then compared on what their lineage knows. The deleted rows are kept in their lineage rows
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
    EXECUTE format('LOCK TABLE %I.attendance, %I.attendance_time IN SHARE ROW EXCLUSIVE MODE', sis, sis);

    EXECUTE format($check$
        WITH run_rows AS (
            SELECT l.table_name, l.row_id, l.attendance_id, l.school_number, l.source_attendance_id, l.row_md5,
                l.insert_xid
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
                    ELSE md5(a::text) IS DISTINCT FROM r.row_md5
                END)
                OR bool_or(r.insert_xid IS NOT NULL
                    AND a.xmin::text::bigint <> r.insert_xid::text::bigint %% 4294967296)
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
                    ELSE md5(t::text) IS DISTINCT FROM r.row_md5
                END)
                OR bool_or(r.insert_xid IS NOT NULL
                    AND t.xmin::text::bigint <> r.insert_xid::text::bigint %% 4294967296)
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
    $check$, sis) INTO problems USING run_dag_id, run_run_id;
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
REVOKE ALL ON FUNCTION {schema}.check_new_lineage_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.lock_sis_tables(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.roll_back_run_rows(text, text, text, boolean) FROM PUBLIC;
