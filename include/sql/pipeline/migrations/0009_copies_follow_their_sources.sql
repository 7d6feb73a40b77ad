-- F1-F8 (issue 31): the records a run built are copies, and a later run makes them follow their
-- sources: a copy whose source's code changed is recoded (its attendance_codeid alone, F3), a copy
-- whose source no longer implies it is withdrawn (deleted with its attendance_time rows, its
-- lineage kept and marked, F4). As for inserts (migration 0008), the pipeline's login does neither
-- itself: follow_run_copies changes only rows the lineage names as copies of the school, only
-- while they are as the pipeline last wrote them, recodes only to the source's own code, and
-- writes what it did into the table followed; the rollback of the following run restores each
-- withdrawn copy and each previous code exactly (F6), and the rollback of the run that built a
-- copy takes a later run's recode or withdrawal as the pipeline's own.

-- F4: a copy withdrawn by a later run: when, by which run, and its whole row as deleted. A lineage
-- row so marked names nothing in the SIS; the rollback of the withdrawing run clears the mark.
ALTER TABLE {schema}.lineage
    ADD COLUMN withdrawn_at timestamptz,
    ADD COLUMN withdrawn_by_dag_id text,
    ADD COLUMN withdrawn_by_run_id text,
    ADD COLUMN withdrawn_row jsonb;
COMMENT ON COLUMN {schema}.lineage.withdrawn_at IS
    'F4: when a later run deleted this copy because its source no longer implies it; NULL while it is a copy.';
COMMENT ON COLUMN {schema}.lineage.withdrawn_by_run_id IS 'F4: the run that withdrew the copy (withdrawn_by_dag_id is its DAG).';
COMMENT ON COLUMN {schema}.lineage.withdrawn_row IS 'F4: the whole SIS row as the withdrawal deleted it (to_jsonb).';
COMMENT ON COLUMN {schema}.lineage.row_md5 IS
    'md5 of the whole SIS row''s text (row::text) as the pipeline last wrote it (its insert, or a later run''s recode, F3); a rollback deletes the row only while it still matches. NULL for rows loaded before 0004.';

-- F3, F4, F6, F8: one row per change a run made to an earlier run's copy.
CREATE TABLE {schema}.followed (
    followed_id bigint GENERATED ALWAYS AS IDENTITY,
    dag_id text NOT NULL,
    run_id text NOT NULL,
    school_number bigint NOT NULL,
    sis_schema text NOT NULL,
    attendance_id bigint NOT NULL,
    built_dag_id text NOT NULL,
    built_run_id text NOT NULL,
    source_attendance_id bigint NOT NULL,
    action text NOT NULL CONSTRAINT followed_action_check CHECK (action IN ('recode', 'withdraw')),
    reason text NOT NULL,
    studentid bigint NOT NULL,
    att_date date NOT NULL,
    periodid bigint,
    old_attendance_codeid bigint,
    new_attendance_codeid bigint,
    row_md5_before text NOT NULL,
    row_md5_after text,
    row_before jsonb NOT NULL,
    followed_at timestamptz NOT NULL DEFAULT now(),
    undone_at timestamptz,
    undone_by_run_id text,
    undone_how text,
    CONSTRAINT followed_pkey PRIMARY KEY (followed_id)
);
CREATE INDEX followed_run_idx ON {schema}.followed (run_id, dag_id);
CREATE INDEX followed_attendance_id_idx ON {schema}.followed (attendance_id);
COMMENT ON TABLE {schema}.followed IS
    'F3, F4: one row per copy a run recoded or withdrew because its source changed; the rollback of that run undoes it (F6).';
COMMENT ON COLUMN {schema}.followed.attendance_id IS 'The copy (its attendance id); built_dag_id and built_run_id name the run that built it.';
COMMENT ON COLUMN {schema}.followed.row_before IS 'The whole attendance row before the change (to_jsonb).';
COMMENT ON COLUMN {schema}.followed.row_md5_after IS 'md5 of the recoded row''s text; NULL for a withdrawal.';
COMMENT ON COLUMN {schema}.followed.undone_how IS
    'restored, or: nothing to restore because the run that built the copy was rolled back first.';
CREATE TRIGGER refuse_writes_but_the_owners BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema}.followed
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_writes_but_the_owners();

-- One change the load asks follow_run_copies to make: recode a copy to its source's code, or
-- withdraw it; copy_md5 and source_md5 are the md5 of the copy's and the source's row text as the
-- run judged them (source_md5 NULL: the run found the source deleted).
CREATE TYPE {schema}.copy_change AS (
    attendance_id bigint,
    action text,
    new_attendance_codeid bigint,
    copy_md5 text,
    source_md5 text,
    reason text
);

-- F3, F4, F6, X6, X7: make a run's changes to copies of its school. The run must be running (its
-- run log says so: a change made under another run's id could never be undone), and a change must
-- name a record the database's lineage holds as a copy of the school in the schema, built by
-- another run (an attendance lineage row checked when it was written: migration 0007 on), or
-- nothing is changed. A change is made only while the copy is still a copy (not rolled back or
-- withdrawn since), exactly as the pipeline last wrote it and as the run judged it (F2: a person's
-- edit stands; another run may have followed it first), its attendance_time rows are the
-- pipeline's and unchanged, no row refers to it, and its source is as the run judged it (or still
-- gone); the others are left and counted (left_changed), for the next run to judge again. A recode
-- sets the source's code and nothing else. The run needs a verified backup covering every changed
-- row's day (X6). Every change is written to followed; a recode updates its lineage row's md5 and
-- ctid, a withdrawal marks the lineage rows of the copy and its attendance_time rows withdrawn.
CREATE FUNCTION {schema}.follow_run_copies(
    target_schema text, run_dag_id text, run_run_id text, run_school bigint, changes {schema}.copy_change[]
) RETURNS TABLE (recoded bigint, withdrawn bigint, withdrawn_attendance_time bigint, left_changed bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    bad bigint;
    first_day date;
    last_day date;
    ready bigint;
    marked bigint;
    logged bigint;
    withdrawn_marked bigint;
    time_marked bigint;
BEGIN
    PERFORM {schema}.require_sis_tables(target_schema);
    -- Nothing changes a copy, its times or its source between the checks below and the changes.
    EXECUTE format('LOCK TABLE %I.attendance, %I.attendance_time IN SHARE ROW EXCLUSIVE MODE', target_schema, target_schema);
    DROP TABLE IF EXISTS pg_temp.bridge_follow_changes, pg_temp.bridge_follow_ready;
    CREATE TEMPORARY TABLE bridge_follow_changes ON COMMIT DROP AS SELECT * FROM unnest(changes);
    SELECT count(*) INTO bad
    FROM (
        SELECT c.attendance_id
        FROM pg_temp.bridge_follow_changes AS c
        GROUP BY c.attendance_id
        HAVING count(*) > 1 OR bool_or(c.attendance_id IS NULL OR c.action IS NULL OR c.action NOT IN ('recode', 'withdraw')
            OR (c.action = 'recode') IS DISTINCT FROM (c.new_attendance_codeid IS NOT NULL) OR coalesce(c.reason, '') = '')
    ) AS odd;
    IF bad > 0 THEN
        RAISE EXCEPTION 'X7: % change(s) of run % are repeated or incomplete (a copy, recode or withdraw, the new code of a recode, a reason); nothing was changed',
            bad, run_run_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM {schema}.run_log AS r
        WHERE r.dag_id = run_dag_id AND r.run_id = run_run_id AND r.status = 'running' AND r.school_number = run_school
    ) THEN
        RAISE EXCEPTION 'X7: run % of % is not a running run of school % in the run log; nothing was changed',
            run_run_id, run_dag_id, run_school USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- X1: only the school's copies, never a record no run built (nor one whose lineage the database did not
    -- check when it was written: before migration 0007 the login wrote the lineage itself).
    SELECT count(*) INTO bad
    FROM pg_temp.bridge_follow_changes AS c
    WHERE NOT EXISTS (
        SELECT 1
        FROM {schema}.lineage AS l
        WHERE l.table_name = 'attendance' AND l.row_id = c.attendance_id AND l.sis_schema = target_schema
          AND l.school_number = run_school AND l.row_md5 IS NOT NULL AND l.insert_xid IS NOT NULL
          AND NOT (l.dag_id = run_dag_id AND l.run_id = run_run_id)
    );
    IF bad > 0 THEN
        RAISE EXCEPTION 'X1: % change(s) of run % name a record that is not a copy an earlier run built for school % in schema %; nothing was changed',
            bad, run_run_id, run_school, target_schema USING ERRCODE = 'insufficient_privilege';
    END IF;

    EXECUTE format($ready$
        CREATE TEMPORARY TABLE bridge_follow_ready ON COMMIT DROP AS
        SELECT c.attendance_id, c.action, c.new_attendance_codeid, c.reason, l.dag_id AS built_dag_id,
            l.run_id AS built_run_id, l.source_attendance_id, l.row_md5, copy_row.studentid, copy_row.att_date,
            copy_row.periodid, copy_row.attendance_codeid AS old_attendance_codeid, copy_row.row_before,
            source_row.attendance_codeid AS source_attendance_codeid,
            copy_row.rows_with_id = 1 AND copy_row.row_md5 = l.row_md5 AND copy_row.row_md5 = c.copy_md5
            AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
            AND copy_row.schoolid = $2
            AND NOT EXISTS (SELECT 1 FROM %1$I.attendance AS d WHERE d.parent_attendanceid = c.attendance_id)
            AND NOT EXISTS (
                SELECT 1
                FROM %1$I.attendance_time AS t
                WHERE t.attendanceid = c.attendance_id
                  AND NOT EXISTS (
                      SELECT 1 FROM {schema}.lineage AS lt
                      WHERE lt.table_name = 'attendance_time' AND lt.row_id = t.id AND lt.attendance_id = c.attendance_id
                        AND lt.sis_schema = $1 AND lt.rolled_back_at IS NULL AND lt.withdrawn_at IS NULL
                        AND lt.row_md5 = md5(t::text)
                  )
            )
            AND CASE WHEN c.source_md5 IS NULL THEN source_row.rows_with_id = 0
                     ELSE source_row.rows_with_id = 1 AND source_row.row_md5 = c.source_md5 END AS unchanged
        FROM pg_temp.bridge_follow_changes AS c
        JOIN LATERAL (
            -- The copy's lineage row: the one still a copy when there is one (a row id is one record's; a rolled
            -- back run's lineage row may name an id a later run's copy reuses only if the SIS reused it).
            SELECT x.*
            FROM {schema}.lineage AS x
            WHERE x.table_name = 'attendance' AND x.row_id = c.attendance_id AND x.sis_schema = $1
              AND x.school_number = $2 AND x.row_md5 IS NOT NULL AND x.insert_xid IS NOT NULL
            ORDER BY (x.rolled_back_at IS NULL AND x.withdrawn_at IS NULL) DESC, x.inserted_at DESC
            LIMIT 1
        ) AS l ON true
        CROSS JOIN LATERAL (
            SELECT count(*) AS rows_with_id, min(md5(a::text)) AS row_md5, min(a.studentid) AS studentid,
                min(a.att_date) AS att_date, min(a.periodid) AS periodid, min(a.attendance_codeid) AS attendance_codeid,
                min(a.schoolid) AS schoolid, (array_agg(to_jsonb(a.*)))[1] AS row_before
            FROM %1$I.attendance AS a
            WHERE a.id = c.attendance_id
        ) AS copy_row
        CROSS JOIN LATERAL (
            SELECT count(*) AS rows_with_id, min(md5(s::text)) AS row_md5, min(s.attendance_codeid) AS attendance_codeid
            FROM %1$I.attendance AS s
            WHERE s.id = l.source_attendance_id
        ) AS source_row
    $ready$, target_schema) USING target_schema, run_school;

    -- F3: a recode sets the source's code, never another.
    SELECT count(*) INTO bad
    FROM pg_temp.bridge_follow_ready AS r
    WHERE r.unchanged AND r.action = 'recode'
      AND (r.new_attendance_codeid IS DISTINCT FROM r.source_attendance_codeid
           OR r.new_attendance_codeid IS NOT DISTINCT FROM r.old_attendance_codeid);
    IF bad > 0 THEN
        RAISE EXCEPTION 'F3: % recode(s) of run % do not give a copy its source''s code; nothing was changed', bad, run_run_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    SELECT count(*), min(r.att_date), max(r.att_date) INTO ready, first_day, last_day
    FROM pg_temp.bridge_follow_ready AS r
    WHERE r.unchanged;
    left_changed := cardinality(changes) - ready;
    recoded := 0;
    withdrawn := 0;
    withdrawn_attendance_time := 0;
    IF ready = 0 THEN
        RETURN NEXT;
        RETURN;
    END IF;
    IF NOT EXISTS (
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
        RAISE EXCEPTION 'X6: run % has no verified backup of school % in schema % covering % to %; nothing was changed',
            run_run_id, run_school, target_schema, first_day, last_day USING ERRCODE = 'insufficient_privilege';
    END IF;

    EXECUTE format($recode$
        WITH updated AS (
            UPDATE %1$I.attendance AS a
            SET attendance_codeid = r.new_attendance_codeid
            FROM pg_temp.bridge_follow_ready AS r
            WHERE r.unchanged AND r.action = 'recode' AND a.id = r.attendance_id
            RETURNING a.id, md5(a::text) AS row_md5, a.ctid AS row_ctid
        ),
        relined AS (
            UPDATE {schema}.lineage AS l
            SET row_md5 = u.row_md5, row_ctid = u.row_ctid
            FROM updated AS u
            WHERE l.table_name = 'attendance' AND l.row_id = u.id AND l.sis_schema = $1
              AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
            RETURNING l.row_id
        ),
        logged AS (
            INSERT INTO {schema}.followed (
                dag_id, run_id, school_number, sis_schema, attendance_id, built_dag_id, built_run_id,
                source_attendance_id, action, reason, studentid, att_date, periodid, old_attendance_codeid,
                new_attendance_codeid, row_md5_before, row_md5_after, row_before
            )
            SELECT $2, $3, $4, $1, r.attendance_id, r.built_dag_id, r.built_run_id, r.source_attendance_id, 'recode',
                r.reason, r.studentid, r.att_date, r.periodid, r.old_attendance_codeid, r.new_attendance_codeid,
                r.row_md5, u.row_md5, r.row_before
            FROM updated AS u
            JOIN pg_temp.bridge_follow_ready AS r ON r.attendance_id = u.id
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM relined), (SELECT count(*) FROM logged)
    $recode$, target_schema) INTO recoded, marked, logged USING target_schema, run_dag_id, run_run_id, run_school;
    IF NOT (recoded = marked AND marked = logged
            AND recoded = (SELECT count(*) FROM pg_temp.bridge_follow_ready AS r WHERE r.unchanged AND r.action = 'recode')) THEN
        RAISE EXCEPTION 'F3: run %: % copies recoded, % lineage rows and % log rows written, which disagree; nothing was changed',
            run_run_id, recoded, marked, logged;
    END IF;

    EXECUTE format($withdraw$
        WITH gone_times AS (
            DELETE FROM %1$I.attendance_time AS t
            USING pg_temp.bridge_follow_ready AS r
            WHERE r.unchanged AND r.action = 'withdraw' AND t.attendanceid = r.attendance_id
            RETURNING t.id, to_jsonb(t.*) AS removed_row
        ),
        marked_times AS (
            UPDATE {schema}.lineage AS l
            SET withdrawn_at = now(), withdrawn_by_dag_id = $2, withdrawn_by_run_id = $3, withdrawn_row = g.removed_row
            FROM gone_times AS g
            WHERE l.table_name = 'attendance_time' AND l.row_id = g.id AND l.sis_schema = $1
              AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
            RETURNING l.row_id
        ),
        gone AS (
            DELETE FROM %1$I.attendance AS a
            USING pg_temp.bridge_follow_ready AS r
            WHERE r.unchanged AND r.action = 'withdraw' AND a.id = r.attendance_id
            RETURNING a.id, to_jsonb(a.*) AS removed_row
        ),
        marked AS (
            UPDATE {schema}.lineage AS l
            SET withdrawn_at = now(), withdrawn_by_dag_id = $2, withdrawn_by_run_id = $3, withdrawn_row = g.removed_row
            FROM gone AS g
            WHERE l.table_name = 'attendance' AND l.row_id = g.id AND l.sis_schema = $1
              AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NULL
            RETURNING l.row_id
        ),
        logged AS (
            INSERT INTO {schema}.followed (
                dag_id, run_id, school_number, sis_schema, attendance_id, built_dag_id, built_run_id,
                source_attendance_id, action, reason, studentid, att_date, periodid, old_attendance_codeid,
                new_attendance_codeid, row_md5_before, row_md5_after, row_before
            )
            SELECT $2, $3, $4, $1, r.attendance_id, r.built_dag_id, r.built_run_id, r.source_attendance_id, 'withdraw',
                r.reason, r.studentid, r.att_date, r.periodid, r.old_attendance_codeid, NULL, r.row_md5, NULL, r.row_before
            FROM gone AS g
            JOIN pg_temp.bridge_follow_ready AS r ON r.attendance_id = g.id
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM marked), (SELECT count(*) FROM logged),
            (SELECT count(*) FROM gone_times), (SELECT count(*) FROM marked_times)
    $withdraw$, target_schema)
    INTO withdrawn, withdrawn_marked, logged, withdrawn_attendance_time, time_marked
    USING target_schema, run_dag_id, run_run_id, run_school;
    IF NOT (withdrawn = withdrawn_marked AND withdrawn_marked = logged AND withdrawn_attendance_time = time_marked
            AND withdrawn = (SELECT count(*) FROM pg_temp.bridge_follow_ready AS r WHERE r.unchanged AND r.action = 'withdraw')) THEN
        RAISE EXCEPTION 'F4: run %: % copies and % attendance times withdrawn, % and % lineage rows marked, % log rows written, which disagree; nothing was changed',
            run_run_id, withdrawn, withdrawn_attendance_time, withdrawn_marked, time_marked, logged;
    END IF;
    DROP TABLE pg_temp.bridge_follow_changes, pg_temp.bridge_follow_ready;
    RETURN NEXT;
END
$function$;

-- F6: undo what a run did to earlier runs' copies, or raise. A recode is undone while the copy is
-- as the run left it (else a person or a later run changed it since: roll that back first); a
-- withdrawal is undone by inserting the copy and its attendance_time rows again exactly as they
-- were (ids included), while no row holds its id. A change to a copy whose building run was rolled
-- back since needs nothing (the copy is gone for good) and is marked so. Called by
-- roll_back_run_rows after it deleted the run's own inserts, under the tables' locks.
CREATE FUNCTION {schema}.undo_run_follows(run_dag_id text, run_run_id text, rollback_run_id text)
RETURNS TABLE (recodes_undone bigint, withdrawals_undone bigint, attendance_time_restored bigint, moot bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    schemas text[];
    sis text;
    bad bigint;
    done bigint;
BEGIN
    recodes_undone := 0;
    withdrawals_undone := 0;
    attendance_time_restored := 0;
    SELECT array_agg(DISTINCT f.sis_schema) INTO schemas
    FROM {schema}.followed AS f
    WHERE f.dag_id = run_dag_id AND f.run_id = run_run_id AND f.undone_at IS NULL;
    IF schemas IS NULL THEN
        moot := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    IF cardinality(schemas) > 1 THEN
        RAISE EXCEPTION 'X7: run % followed copies in several SIS schemas (%); nothing was rolled back', run_run_id, schemas;
    END IF;
    sis := schemas[1];
    PERFORM {schema}.require_sis_tables(sis);
    EXECUTE format('LOCK TABLE %I.attendance, %I.attendance_time IN SHARE ROW EXCLUSIVE MODE', sis, sis);

    -- Changes to copies whose building run was rolled back since: nothing is left to restore.
    UPDATE {schema}.followed AS f
    SET undone_at = now(), undone_by_run_id = undo_run_follows.rollback_run_id,
        undone_how = 'nothing to restore: run ' || f.built_run_id || ' that built the copy was rolled back first'
    FROM {schema}.lineage AS l
    WHERE f.dag_id = run_dag_id AND f.run_id = run_run_id AND f.undone_at IS NULL
      AND l.table_name = 'attendance' AND l.row_id = f.attendance_id AND l.sis_schema = f.sis_schema
      AND l.dag_id = f.built_dag_id AND l.run_id = f.built_run_id AND l.rolled_back_at IS NOT NULL;
    GET DIAGNOSTICS moot = ROW_COUNT;

    -- Recodes: the copy must be as this run left it.
    EXECUTE format($check$
        SELECT count(*)
        FROM {schema}.followed AS f
        JOIN {schema}.lineage AS l
          ON l.table_name = 'attendance' AND l.row_id = f.attendance_id AND l.sis_schema = f.sis_schema
         AND l.dag_id = f.built_dag_id AND l.run_id = f.built_run_id
        CROSS JOIN LATERAL (
            SELECT count(*) AS rows_with_id, min(md5(a::text)) AS row_md5 FROM %1$I.attendance AS a WHERE a.id = f.attendance_id
        ) AS now_row
        WHERE f.dag_id = $1 AND f.run_id = $2 AND f.undone_at IS NULL AND f.action = 'recode'
          AND (now_row.rows_with_id <> 1 OR now_row.row_md5 IS DISTINCT FROM f.row_md5_after
               OR l.row_md5 IS DISTINCT FROM f.row_md5_after OR l.withdrawn_at IS NOT NULL)
    $check$, sis) INTO bad USING run_dag_id, run_run_id;
    IF bad > 0 THEN
        RAISE EXCEPTION 'F6: % cop(ies) run % recoded were changed since, by a person or a later run (roll that run back first); nothing was rolled back',
            bad, run_run_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format($restore$
        WITH restored AS (
            UPDATE %1$I.attendance AS a
            SET attendance_codeid = f.old_attendance_codeid
            FROM {schema}.followed AS f
            WHERE f.dag_id = $1 AND f.run_id = $2 AND f.undone_at IS NULL AND f.action = 'recode' AND a.id = f.attendance_id
            RETURNING a.id, md5(a::text) AS row_md5, a.ctid AS row_ctid, f.row_md5_before, f.built_dag_id, f.built_run_id
        ),
        relined AS (
            UPDATE {schema}.lineage AS l
            SET row_md5 = r.row_md5, row_ctid = r.row_ctid
            FROM restored AS r
            WHERE l.table_name = 'attendance' AND l.row_id = r.id AND l.dag_id = r.built_dag_id AND l.run_id = r.built_run_id
            RETURNING l.row_id
        )
        SELECT (SELECT count(*) FROM restored), (SELECT count(*) FROM relined),
            (SELECT count(*) FROM restored WHERE row_md5 IS DISTINCT FROM row_md5_before)
    $restore$, sis) INTO recodes_undone, done, bad USING run_dag_id, run_run_id;
    IF bad > 0 OR done <> recodes_undone THEN
        RAISE EXCEPTION 'F6: run %: % recode(s) did not restore the row exactly as it was; nothing was rolled back', run_run_id, bad;
    END IF;

    -- Withdrawals: no row may hold the copy's id or its attendance_time rows' ids.
    EXECUTE format($check$
        SELECT count(*)
        FROM {schema}.followed AS f
        WHERE f.dag_id = $1 AND f.run_id = $2 AND f.undone_at IS NULL AND f.action = 'withdraw'
          AND (EXISTS (SELECT 1 FROM %1$I.attendance AS a WHERE a.id = f.attendance_id)
               OR EXISTS (
                   SELECT 1
                   FROM {schema}.lineage AS lt
                   JOIN %1$I.attendance_time AS t ON t.id = lt.row_id
                   WHERE lt.table_name = 'attendance_time' AND lt.attendance_id = f.attendance_id
                     AND lt.withdrawn_by_dag_id = $1 AND lt.withdrawn_by_run_id = $2
               ))
    $check$, sis) INTO bad USING run_dag_id, run_run_id;
    IF bad > 0 THEN
        RAISE EXCEPTION 'F6: % cop(ies) run % withdrew have their id taken by another row since; nothing was rolled back',
            bad, run_run_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format($restore$
        WITH back AS (
            INSERT INTO %1$I.attendance AS back_row OVERRIDING SYSTEM VALUE
            SELECT (jsonb_populate_record(NULL::%1$I.attendance, f.row_before)).*
            FROM {schema}.followed AS f
            WHERE f.dag_id = $1 AND f.run_id = $2 AND f.undone_at IS NULL AND f.action = 'withdraw'
            RETURNING back_row.id, md5(back_row::text) AS row_md5, back_row.ctid AS row_ctid
        ),
        relined AS (
            UPDATE {schema}.lineage AS l
            SET withdrawn_at = NULL, withdrawn_by_dag_id = NULL, withdrawn_by_run_id = NULL, withdrawn_row = NULL,
                row_ctid = b.row_ctid
            FROM back AS b
            WHERE l.table_name = 'attendance' AND l.row_id = b.id AND l.withdrawn_by_dag_id = $1
              AND l.withdrawn_by_run_id = $2 AND l.row_md5 = b.row_md5
            RETURNING l.row_id
        )
        SELECT (SELECT count(*) FROM back), (SELECT count(*) FROM relined)
    $restore$, sis) INTO withdrawals_undone, done USING run_dag_id, run_run_id;
    IF done <> withdrawals_undone THEN
        RAISE EXCEPTION 'F6: run %: % of % withdrawn copies came back exactly as they were; nothing was rolled back',
            run_run_id, done, withdrawals_undone;
    END IF;
    EXECUTE format($restore$
        WITH back AS (
            INSERT INTO %1$I.attendance_time AS back_row OVERRIDING SYSTEM VALUE
            SELECT (jsonb_populate_record(NULL::%1$I.attendance_time, lt.withdrawn_row)).*
            FROM {schema}.lineage AS lt
            WHERE lt.table_name = 'attendance_time' AND lt.withdrawn_by_dag_id = $1 AND lt.withdrawn_by_run_id = $2
              AND lt.rolled_back_at IS NULL
            RETURNING back_row.id, md5(back_row::text) AS row_md5, back_row.ctid AS row_ctid
        ),
        relined AS (
            UPDATE {schema}.lineage AS l
            SET withdrawn_at = NULL, withdrawn_by_dag_id = NULL, withdrawn_by_run_id = NULL, withdrawn_row = NULL,
                row_ctid = b.row_ctid
            FROM back AS b
            WHERE l.table_name = 'attendance_time' AND l.row_id = b.id AND l.withdrawn_by_dag_id = $1
              AND l.withdrawn_by_run_id = $2 AND l.row_md5 = b.row_md5
            RETURNING l.row_id
        )
        SELECT (SELECT count(*) FROM back), (SELECT count(*) FROM relined)
    $restore$, sis) INTO attendance_time_restored, done USING run_dag_id, run_run_id;
    IF done <> attendance_time_restored THEN
        RAISE EXCEPTION 'F6: run %: % of % withdrawn attendance times came back exactly as they were; nothing was rolled back',
            run_run_id, done, attendance_time_restored;
    END IF;
    UPDATE {schema}.followed AS f
    SET undone_at = now(), undone_by_run_id = undo_run_follows.rollback_run_id, undone_how = 'restored'
    WHERE f.dag_id = run_dag_id AND f.run_id = run_run_id AND f.undone_at IS NULL;
    RETURN NEXT;
END
$function$;

-- X7, F6: the rollback of a run, as in 0008, now also (1) taking the copies of the run that later
-- runs withdrew as the pipeline's own (their lineage rows are marked rolled back: nothing of them
-- is in the SIS), and (2) after deleting the run's own rows, undoing what the run did to earlier
-- runs' copies (undo_run_follows). rollback_counts says all of it.
CREATE OR REPLACE FUNCTION {schema}.roll_back_run_rows(
    run_dag_id text, run_run_id text, rollback_run_id text, allow_rows_from_older_versions boolean,
    rolled_back_by text
) RETURNS TABLE (deleted_attendance bigint, deleted_attendance_time bigint, rolled_back_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $function$
DECLARE
    logged_status text;
    withdrawn_before bigint;
    undone record;
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
    UPDATE {schema}.lineage AS l
    SET rolled_back_at = now(), rollback_run_id = roll_back_run_rows.rollback_run_id
    WHERE l.dag_id = run_dag_id AND l.run_id = run_run_id AND l.rolled_back_at IS NULL AND l.withdrawn_at IS NOT NULL;
    GET DIAGNOSTICS withdrawn_before = ROW_COUNT;
    SELECT d.deleted_attendance, d.deleted_attendance_time
    INTO deleted_attendance, deleted_attendance_time
    FROM {schema}.delete_run_rows(run_dag_id, run_run_id, roll_back_run_rows.rollback_run_id, allow_rows_from_older_versions) AS d;
    SELECT * INTO undone FROM {schema}.undo_run_follows(run_dag_id, run_run_id, roll_back_run_rows.rollback_run_id);
    IF deleted_attendance + deleted_attendance_time + withdrawn_before + undone.recodes_undone
       + undone.withdrawals_undone + undone.moot = 0 THEN
        RAISE EXCEPTION 'X7: run % of % has no rows in the SIS to delete or restore; nothing was marked', run_run_id, run_dag_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE {schema}.run_log AS r
    SET status = 'rolled_back',
        rolled_back_at = now(),
        rolled_back_by = roll_back_run_rows.rolled_back_by,
        rollback_run_id = roll_back_run_rows.rollback_run_id,
        -- What it deleted per table, as before; and, for a run that followed copies or whose copies were
        -- followed, what was restored and what needed nothing.
        rollback_counts = jsonb_build_object('attendance', deleted_attendance, 'attendance_time', deleted_attendance_time)
            || CASE WHEN undone.recodes_undone + undone.withdrawals_undone + undone.moot + withdrawn_before = 0
                    THEN jsonb_build_object()
                    ELSE jsonb_build_object(
                        'recodes_undone', undone.recodes_undone, 'withdrawals_undone', undone.withdrawals_undone,
                        'attendance_time_restored', undone.attendance_time_restored,
                        'withdrawn_by_later_runs', withdrawn_before, 'nothing_to_undo', undone.moot) END
    WHERE r.dag_id = run_dag_id AND r.run_id = run_run_id
    RETURNING r.rolled_back_at INTO roll_back_run_rows.rolled_back_at;
    RETURN NEXT;
END
$function$;

REVOKE ALL ON FUNCTION {schema}.follow_run_copies(text, text, text, bigint, {schema}.copy_change[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION {schema}.undo_run_follows(text, text, text) FROM PUBLIC;
